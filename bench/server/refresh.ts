/**
 * Writ's `POST /auth/refresh` next to oidc-provider 9 and SQLite's own commit rate, in one run:
 *
 * - Writ: `POST /auth/refresh`, JSON body mode, on SQLite with the service defaults (WAL,
 *   synchronous = FULL: every rotation is durably committed);
 * - oidc-provider: its `refresh_token` grant with rotation, and its `client_credentials` grant
 *   (RFC 9068 JWTs), in memory;
 * - SQLite: single-row INSERT commits/s with the same pragmas, on the same disk, one at a time.
 *
 * Every contender runs in its own child process; autocannon (16 connections) loads them from
 * this one. Every refresh consumes a never-used token from a pool minted beforehand on the
 * contender's side listener (a reused rotated token would revoke its family in both services).
 * Each round runs every contender once, in a rotated order; medians are compared, since this
 * VM's speed drifts between phases lasting seconds.
 *
 *   node bench/server/refresh.ts                       # 5 rounds of 5 s runs
 *   node bench/server/refresh.ts --rounds 3 --seconds 3
 *   node bench/server/refresh.ts --quick               # 1 round of 2 s runs
 *   node bench/server/refresh.ts --profile DIR         # also writes a CPU profile of Writ to DIR
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import {
  formatRate,
  formatRatio,
  median,
  padEnd,
  padStart,
  spreadPercent,
} from '../verify/stats.ts';
import type { ContenderCommand, ContenderMessage } from './contender-protocol.ts';
import { maxMintBatch } from './contender-protocol.ts';
import { oidcBasicAuth, oidcBench } from './oidc-settings.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    profile: { type: 'string' },
  },
});
const quick = args.quick === true;
const rounds = Number(args.rounds ?? (quick ? 1 : 5));
const seconds = Number(args.seconds ?? (quick ? 2 : 5));
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seconds) || seconds < 1) {
  throw new Error('--rounds and --seconds must be positive integers');
}
const connections = 16;
const warmupSec = 1;

// ---------------------------------------------------------------------------------------------
// The contenders, each in its own process.

interface Contender {
  readonly child: ChildProcess;
  next(): Promise<ContenderMessage>;
  send(command: ContenderCommand): void;
}

function startContender(
  script: string,
  options: { env?: Record<string, string>; execArgv?: string[] } = {},
): Contender {
  const child = fork(new URL(script, import.meta.url), [], {
    execPath: process.execPath,
    execArgv: options.execArgv ?? [],
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: Array<{ done(message: ContenderMessage): void; fail(error: Error): void }> = [];
  child.on('message', (message: ContenderMessage) => waiting.shift()?.done(message));
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.fail(new Error(`${script} exited with ${code}`));
  });
  return {
    child,
    next: () =>
      new Promise((done, fail) => {
        waiting.push({ done, fail });
      }),
    send: (command) => child.send(command),
  };
}

async function listening(contender: Contender) {
  const message = await contender.next();
  if (message.type !== 'listening') throw new Error('contender did not start');
  return message;
}

interface CpuUs {
  readonly process: number;
  readonly mainThread: number;
  readonly monotonicUs: number;
}

async function cpuUs(contender: Contender): Promise<CpuUs> {
  const reply = contender.next();
  contender.send({ type: 'cpu' });
  const message = await reply;
  if (message.type !== 'cpu') throw new Error('unexpected message from contender');
  return {
    process: message.process.user + message.process.system,
    mainThread: message.mainThread.user + message.mainThread.system,
    monotonicUs: message.monotonicUs,
  };
}

// In the OS temp folder, as the Writ contender's database: the same disk.
const sqliteDir = mkdtempSync(join(tmpdir(), 'writ-bench-commits-'));
const profileDir = args.profile === undefined ? undefined : resolve(args.profile);
const writ = startContender('./writ-contender.ts', {
  execArgv: profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`],
});
const oidc = startContender('./oidc-contender.ts');
const sqlite = startContender('./sqlite-commits.ts', { env: { WRIT_BENCH_SQLITE_DIR: sqliteDir } });
const [writAt, oidcAt, sqliteReady] = await Promise.all([
  listening(writ),
  listening(oidc),
  sqlite.next(),
]);
if (sqliteReady.type !== 'ready') throw new Error('sqlite contender did not start');

const writBase = `http://127.0.0.1:${writAt.port}`;
const oidcBase = `http://127.0.0.1:${oidcAt.port}`;

async function mint(mintPort: number, count: number): Promise<string[]> {
  const tokens: string[] = [];
  while (tokens.length < count) {
    const n = Math.min(maxMintBatch, count - tokens.length);
    const response = await fetch(`http://127.0.0.1:${mintPort}/mint?n=${n}`);
    if (response.status !== 200) throw new Error(`minting answered ${response.status}`);
    tokens.push(...((await response.json()) as string[]));
  }
  return tokens;
}

// ---------------------------------------------------------------------------------------------
// The requests, and a check of each before any load: a refresh rotates, a consumed token is
// refused, so no run measures fast refusals.

interface Shape {
  readonly url: string;
  readonly headers: Record<string, string>;
  body(token: string): string;
  rotated(json: Record<string, unknown>): string | undefined;
}

const writRefresh: Shape = {
  url: `${writBase}/auth/refresh`,
  headers: { 'content-type': 'application/json' },
  body: (token) => JSON.stringify({ refresh_token: token }),
  rotated: (json) => (typeof json.refresh_token === 'string' ? json.refresh_token : undefined),
};
const oidcRefresh: Shape = {
  url: `${oidcBase}/token`,
  headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: oidcBasicAuth },
  body: (token) => `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`,
  rotated: (json) => (typeof json.refresh_token === 'string' ? json.refresh_token : undefined),
};
const clientCredentialsBody = `grant_type=client_credentials&scope=api&resource=${encodeURIComponent(oidcBench.resource)}`;

async function post(shape: Shape, body: string) {
  const response = await fetch(shape.url, { method: 'POST', headers: shape.headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

async function checkRotation(name: string, shape: Shape, mintPort: number): Promise<void> {
  const [token] = await mint(mintPort, 1);
  if (token === undefined) throw new Error(`${name}: nothing minted`);
  const first = await post(shape, shape.body(token));
  const rotated = shape.rotated(first.json);
  if (first.status !== 200 || rotated === undefined || rotated === token) {
    throw new Error(`${name}: a refresh did not rotate (${first.status})`);
  }
  if (
    typeof first.json.access_token !== 'string' ||
    first.json.access_token.split('.').length !== 3
  ) {
    throw new Error(`${name}: no JWT access token`);
  }
  const again = await post(shape, shape.body(token));
  if (again.status < 400 || again.json.error !== 'invalid_grant') {
    throw new Error(
      `${name}: a consumed token was not refused with invalid_grant (${again.status})`,
    );
  }
}
await checkRotation('Writ', writRefresh, writAt.mintPort);
await checkRotation('oidc-provider', oidcRefresh, oidcAt.mintPort);
const credentials = await post(oidcRefresh, clientCredentialsBody);
if (credentials.status !== 200 || typeof credentials.json.access_token !== 'string') {
  throw new Error(`oidc-provider client_credentials answered ${credentials.status}`);
}

// ---------------------------------------------------------------------------------------------
// The runs.

interface Run {
  readonly perSec: number;
  /** CPU of the contender's process per successful request, µs (HTTP contenders). */
  readonly cpuUsPerRequest?: { readonly process: number; readonly mainThread: number };
  readonly problems: readonly string[];
}

/** When Writ was under load (its monotonic clock, µs): the profile's samples worth reading. */
const writWindows: Array<[number, number]> = [];

/** The largest rate seen per contender, to size the next pool (more tokens than it can spend). */
const fastest = new Map<string, number>();

async function loadWithPool(
  name: string,
  contender: Contender,
  shape: Shape,
  mintPort: number,
  durationSec: number,
): Promise<Run> {
  // A warm-up can run far slower than a warm process: never size below 2,500/s.
  const expected = Math.max(fastest.get(name) ?? 0, 2500) * durationSec;
  const pool = await mint(mintPort, Math.ceil(expected * 1.6) + 2000);
  let next = 0;
  let exhausted = false;
  const cpuBefore = await cpuUs(contender);
  const result = await autocannon({
    url: shape.url,
    connections,
    duration: durationSec,
    requests: [
      {
        method: 'POST',
        headers: shape.headers,
        setupRequest: (request) => {
          const token = pool[next++];
          if (token === undefined) exhausted = true;
          // An exhausted pool sends a token nobody minted: refused, counted, and reported.
          return { ...request, body: shape.body(token ?? 'exhausted') };
        },
      },
    ],
  });
  const cpuAfter = await cpuUs(contender);
  if (contender === writ) writWindows.push([cpuBefore.monotonicUs, cpuAfter.monotonicUs]);
  return summarise(name, result, exhausted ? ['token pool ran out'] : [], {
    process: cpuAfter.process - cpuBefore.process,
    mainThread: cpuAfter.mainThread - cpuBefore.mainThread,
    monotonicUs: cpuAfter.monotonicUs - cpuBefore.monotonicUs,
  });
}

async function loadFixed(
  name: string,
  contender: Contender,
  shape: Shape,
  body: string,
  durationSec: number,
): Promise<Run> {
  const cpuBefore = await cpuUs(contender);
  const result = await autocannon({
    url: shape.url,
    connections,
    duration: durationSec,
    method: 'POST',
    headers: shape.headers,
    body,
  } as Parameters<typeof autocannon>[0]);
  const cpuAfter = await cpuUs(contender);
  return summarise(name, result, [], {
    process: cpuAfter.process - cpuBefore.process,
    mainThread: cpuAfter.mainThread - cpuBefore.mainThread,
    monotonicUs: cpuAfter.monotonicUs - cpuBefore.monotonicUs,
  });
}

function summarise(name: string, result: AutocannonResult, problems: string[], cpu: CpuUs): Run {
  const ok = result['2xx'];
  const perSec = ok / result.duration;
  fastest.set(name, Math.max(fastest.get(name) ?? 0, perSec));
  const all = [...problems];
  if (result.non2xx > 0) all.push(`${result.non2xx} non-2xx answers`);
  if (result.errors > 0) all.push(`${result.errors} errors`);
  const per = (us: number) => (ok > 0 ? us / ok : Number.NaN);
  return {
    perSec,
    cpuUsPerRequest: { process: per(cpu.process), mainThread: per(cpu.mainThread) },
    problems: all,
  };
}

async function commitRate(durationSec: number): Promise<Run> {
  const reply = sqlite.next();
  sqlite.send({ type: 'commit', seconds: durationSec });
  const message = await reply;
  if (message.type !== 'committed') throw new Error('unexpected message from sqlite contender');
  return { perSec: message.commits / (message.elapsedMs / 1000), problems: [] };
}

interface Variant {
  readonly name: string;
  run(durationSec: number): Promise<Run>;
}

const variants: Variant[] = [
  {
    name: 'Writ POST /auth/refresh (SQLite, durable)',
    run: (s) => loadWithPool('writ', writ, writRefresh, writAt.mintPort, s),
  },
  {
    name: 'oidc-provider refresh_token (in memory)',
    run: (s) => loadWithPool('oidc-refresh', oidc, oidcRefresh, oidcAt.mintPort, s),
  },
  {
    name: 'oidc-provider client_credentials',
    run: (s) => loadFixed('oidc-cc', oidc, oidcRefresh, clientCredentialsBody, s),
  },
  { name: 'SQLite commits, one at a time', run: (s) => commitRate(s) },
];

const samples = new Map<string, Run[]>(variants.map((v) => [v.name, []]));
for (const variant of variants) await variant.run(warmupSec); // discarded: JIT and caches
for (let round = 0; round < rounds; round++) {
  const order = variants.map((_, i) => variants[(i + round) % variants.length]!);
  for (const variant of order) {
    const run = await variant.run(seconds);
    samples.get(variant.name)?.push(run);
    if (run.problems.length > 0) {
      console.error(`round ${round + 1}, ${variant.name}: ${run.problems.join(', ')}`);
    }
  }
}

for (const contender of [writ, oidc, sqlite]) contender.send({ type: 'close' });
await Promise.all(
  [writ, oidc, sqlite].map(
    (contender) =>
      new Promise((done) => {
        if (contender.child.exitCode !== null) done(undefined);
        else contender.child.once('exit', done);
      }),
  ),
);
rmSync(sqliteDir, { recursive: true, force: true });
if (profileDir !== undefined) {
  writeFileSync(join(profileDir, 'writ-load-windows.json'), JSON.stringify(writWindows));
}

// ---------------------------------------------------------------------------------------------
// Report.

const rate = (name: string) => median((samples.get(name) ?? []).map((r) => r.perSec));
const spread = (name: string) => spreadPercent((samples.get(name) ?? []).map((r) => r.perSec));
const [writName, oidcName, ccName, sqliteName] = variants.map((v) => v.name) as [
  string,
  string,
  string,
  string,
];

console.log('\n## Refresh path: Writ next to oidc-provider and SQLite, one run\n');
console.log(
  `${connections} connections, ${rounds} round(s) of ${seconds} s runs, order rotated per round, medians; every refresh spends a never-used token`,
);
for (const note of [...writAt.notes, ...oidcAt.notes, ...sqliteReady.notes])
  console.log(`- ${note}`);
console.log('');
for (const variant of variants) {
  console.log(
    `${padEnd(variant.name, 46)} ${padStart(formatRate(rate(variant.name)), 7)}/s  ±${spread(variant.name).toFixed(0)}%`,
  );
}
const writRuns = samples.get(writName) ?? [];
const writMainMs = median(writRuns.map((r) => r.cpuUsPerRequest?.mainThread ?? Number.NaN)) / 1000;
const writProcessMs = median(writRuns.map((r) => r.cpuUsPerRequest?.process ?? Number.NaN)) / 1000;
const writVsOidc = rate(writName) / rate(oidcName);
const writVsSqlite = rate(writName) / rate(sqliteName);
console.log('');
console.log(
  `Writ refresh / oidc-provider refresh_token   ${formatRatio(writVsOidc)}  (target > 1.0: ${writVsOidc > 1 ? 'PASS' : 'FAIL'})`,
);
console.log(`Writ refresh / SQLite commit rate           ${formatRatio(writVsSqlite)}`);
console.log(
  `Writ CPU per rotation, main thread          ${writMainMs.toFixed(3)} ms  (process.threadCpuUsage in the service process)`,
);
console.log(
  `Writ CPU per rotation, whole process        ${writProcessMs.toFixed(3)} ms  (process.cpuUsage: all threads)`,
);
if (profileDir !== undefined)
  console.log(`CPU profile of the Writ process written to ${profileDir}`);
console.log(
  `\nRESULT refresh writPerSec=${rate(writName).toFixed(0)} oidcRefreshPerSec=${rate(oidcName).toFixed(0)} oidcClientCredentialsPerSec=${rate(ccName).toFixed(0)} sqliteCommitsPerSec=${rate(sqliteName).toFixed(0)} writMainThreadMsPerRotation=${writMainMs.toFixed(3)} writProcessMsPerRotation=${writProcessMs.toFixed(3)}`,
);
