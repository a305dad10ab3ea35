/**
 * `POST /oauth/token` next to oidc-provider, on the same machine in the same run:
 *
 * - `client_credentials` (target: Writ at least 3× oidc-provider's requests/s);
 * - `refresh_token` with rotation, every request spending a never-used token (target: Writ
 *   ahead of oidc-provider, while Writ commits each rotation durably to SQLite and
 *   oidc-provider keeps its grants in memory);
 * - Writ's `POST /oauth/introspect` of a JWT access token, by a resource's client;
 * - the floor (floor-contender.ts): bare Fastify reading the form and answering a fixed body, and
 *   the same plus the secret's hash and one EdDSA signature — the least a client_credentials
 *   endpoint does, so its ratio to oidc-provider bounds the 3× target on this machine.
 *
 * Both servers authenticate the client with `client_secret_basic` (Writ stores the secret's
 * SHA-256, so authentication is one hash and a constant-time compare) and sign EdDSA JWTs. Each
 * runs in its own child process (this file again, with WRIT_BENCH_ROLE=writ, and
 * oidc-contender.ts); autocannon (16 connections) loads them from this process, in rounds whose
 * order rotates, and the medians are compared.
 *
 *   node bench/server/oauth-token.ts                    # 5 rounds of 5 s runs
 *   node bench/server/oauth-token.ts --rounds 3 --seconds 3
 *   node bench/server/oauth-token.ts --quick            # 1 round of 2 s runs
 */
import { type ChildProcess, fork } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { registerClient } from '../../packages/server/src/clients/register-client.ts';
import { issueGrantTokens } from '../../packages/server/src/oauth/issue-grant-tokens.ts';
import {
  formatRate,
  formatRatio,
  median,
  padEnd,
  padStart,
  spreadPercent,
} from '../verify/stats.ts';
import type { ContenderCommand, ContenderMessage } from './contender-protocol.ts';
import { cpuMessage, maxMintBatch, parseMintCount, sendToParent } from './contender-protocol.ts';
import { oidcBasicAuth, oidcBench } from './oidc-settings.ts';
import { startTempService } from './temp-service.ts';

const role = process.env.WRIT_BENCH_ROLE;

// =============================================================================================
// The Writ contender (a child process): the real service on a temporary SQLite file.

/** What the Writ contender tells the load generator besides its ports. */
interface WritOAuthSetup {
  readonly serviceAuth: string;
  readonly appAuth: string;
  readonly resourceAuth: string;
  readonly introspectedToken: string;
}

async function runWritContender(): Promise<void> {
  const service = await startTempService();
  const { context } = service;
  const userId = await service.addUser('bench-oauth@example.com', 'correct horse battery staple');
  const register = async (metadata: Record<string, unknown>) => {
    const result = await registerClient(context, metadata, { via: 'admin' });
    if (!result.ok) throw new Error(`bench client refused: ${result.problem}`);
    return result;
  };
  const basicOf = (clientId: string, secret: string | undefined) =>
    `Basic ${Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret ?? '')}`).toString('base64')}`;
  const serviceClient = await register({
    client_name: 'bench service',
    grant_types: ['client_credentials'],
    scope: 'api',
    audiences: [oidcBench.resource],
  });
  const appClient = await register({
    client_name: 'bench app',
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: ['https://rp.example/callback'],
    scope: 'api offline_access',
    audiences: [oidcBench.resource],
  });
  const resourceClient = await register({
    client_name: 'bench resource',
    grant_types: ['client_credentials'],
    scope: 'api',
    audiences: [oidcBench.resource],
  });

  /** Client sessions as the authorization_code grant opens them, 500 per transaction. */
  const mint = async (count: number): Promise<string[]> => {
    const tokens: string[] = [];
    while (tokens.length < count) {
      const size = Math.min(500, count - tokens.length);
      const minted = await context.db.transaction(async (tx) => {
        const out: string[] = [];
        for (let i = 0; i < size; i++) {
          const issued = await issueGrantTokens(context, tx, {
            client: appClient.client,
            userId,
            scope: 'api offline_access',
            audience: oidcBench.resource,
            dpopJkt: undefined,
            authTimeMs: context.clock.nowMs(),
            browserSessionId: null,
          });
          if (issued.refreshToken === undefined) throw new Error('no refresh token minted');
          out.push(issued.refreshToken);
        }
        return out;
      });
      tokens.push(...minted);
    }
    return tokens;
  };

  const side = createServer((request, response) => {
    const count = parseMintCount(request.url);
    if (request.method !== 'GET' || count === undefined) {
      response.writeHead(404).end();
      return;
    }
    mint(count).then(
      (tokens) =>
        response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(tokens)),
      (error: unknown) => {
        console.error(`writ oauth contender: minting failed: ${String(error)}`);
        response.writeHead(500).end();
      },
    );
  });
  side.listen(0, '127.0.0.1');
  await new Promise((resolve) => side.once('listening', resolve));

  const serviceAuth = basicOf(serviceClient.client.clientId, serviceClient.clientSecret);
  const issued = await fetch(`${service.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: serviceAuth },
    body: 'grant_type=client_credentials',
  });
  const introspectedToken = ((await issued.json()) as { access_token: string }).access_token;
  const setup: WritOAuthSetup = {
    serviceAuth,
    appAuth: basicOf(appClient.client.clientId, appClient.clientSecret),
    resourceAuth: basicOf(resourceClient.client.clientId, resourceClient.clientSecret),
    introspectedToken,
  };
  sendToParent({
    type: 'listening',
    port: Number(new URL(service.url).port),
    mintPort: (side.address() as AddressInfo).port,
    // The setup rides in the notes' first line, as JSON: the protocol is shared read-only.
    notes: [
      JSON.stringify(setup),
      `Writ on SQLite in ${service.dataDir}, WAL, synchronous = FULL (the service defaults)`,
      'Writ: client_secret_basic over SHA-256 secret hashes; EdDSA RFC 9068 access tokens',
    ],
  });

  const close = async () => {
    side.close();
    await service.destroy();
  };
  process.on('message', (command: ContenderCommand) => {
    if (command.type === 'cpu') sendToParent(cpuMessage());
    else if (command.type === 'close') void close().then(() => process.disconnect());
  });
  process.on('disconnect', () => void close());
}

// =============================================================================================
// The load generator.

interface Contender {
  readonly child: ChildProcess;
  next(): Promise<ContenderMessage>;
  send(command: ContenderCommand): void;
}

function startContender(script: URL, env: Record<string, string>): Contender {
  const child = fork(script, [], {
    execPath: process.execPath,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const waiting: Array<{ done(message: ContenderMessage): void; fail(error: Error): void }> = [];
  child.on('message', (message: ContenderMessage) => waiting.shift()?.done(message));
  child.once('exit', (code) => {
    for (const waiter of waiting.splice(0)) waiter.fail(new Error(`${script} exited with ${code}`));
  });
  return {
    child,
    next: () => new Promise((done, fail) => waiting.push({ done, fail })),
    send: (command) => child.send(command),
  };
}

async function listening(contender: Contender) {
  const message = await contender.next();
  if (message.type !== 'listening') throw new Error('contender did not start');
  return message;
}

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

interface Target {
  readonly url: string;
  readonly headers: Record<string, string>;
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };

async function post(target: Target, body: string) {
  const response = await fetch(target.url, { method: 'POST', headers: target.headers, body });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** Before any load: each request does what it claims, so no run measures fast refusals. */
async function check(name: string, ok: boolean, detail: string): Promise<void> {
  if (!ok) throw new Error(`${name}: ${detail}`);
}

const connections = 16;
const floorPlainName = 'Fastify floor: form, fixed answer';
const floorJwtName = 'Fastify floor + EdDSA JWT';
const warmupSec = 1;

/** Main-thread CPU of a contender (µs): what each request costs the server's event loop. */
async function mainThreadUs(contender: Contender): Promise<number> {
  const reply = contender.next();
  contender.send({ type: 'cpu' });
  const message = await reply;
  if (message.type !== 'cpu') throw new Error('unexpected message from contender');
  return message.mainThread.user + message.mainThread.system;
}

async function loadFixed(contender: Contender, target: Target, body: string, durationSec: number) {
  const before = await mainThreadUs(contender);
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationSec,
    method: 'POST',
    headers: target.headers,
    body,
  } as Parameters<typeof autocannon>[0]);
  return summarise(result, [], (await mainThreadUs(contender)) - before);
}

/** The largest rate seen per pool, to size the next one (more tokens than it can spend). */
const fastest = new Map<string, number>();

async function loadWithPool(
  name: string,
  contender: Contender,
  target: Target,
  mintPort: number,
  body: (token: string) => string,
  durationSec: number,
) {
  const expected = Math.max(fastest.get(name) ?? 0, 2500) * durationSec;
  const pool = await mint(mintPort, Math.ceil(expected * 1.6) + 2000);
  let next = 0;
  let exhausted = false;
  const before = await mainThreadUs(contender);
  const result = await autocannon({
    url: target.url,
    connections,
    duration: durationSec,
    requests: [
      {
        method: 'POST',
        headers: target.headers,
        setupRequest: (request) => {
          const token = pool[next++];
          if (token === undefined) exhausted = true;
          return { ...request, body: body(token ?? 'exhausted') };
        },
      },
    ],
  });
  const run = summarise(
    result,
    exhausted ? ['token pool ran out'] : [],
    (await mainThreadUs(contender)) - before,
  );
  fastest.set(name, Math.max(fastest.get(name) ?? 0, run.perSec));
  return run;
}

interface Run {
  readonly perSec: number;
  /** The server's main-thread CPU per successful request, µs. */
  readonly cpuUsPerRequest: number;
  readonly problems: readonly string[];
}

function summarise(result: AutocannonResult, problems: string[], cpuUs: number): Run {
  const all = [...problems];
  if (result.non2xx > 0) all.push(`${result.non2xx} non-2xx answers`);
  if (result.errors > 0) all.push(`${result.errors} errors`);
  const ok = result['2xx'];
  return {
    perSec: ok / result.duration,
    cpuUsPerRequest: ok > 0 ? cpuUs / ok : Number.NaN,
    problems: all,
  };
}

async function runLoadGenerator(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      rounds: { type: 'string' },
      seconds: { type: 'string' },
    },
  });
  const quick = args.quick === true;
  const rounds = Number(args.rounds ?? (quick ? 1 : 5));
  const seconds = Number(args.seconds ?? (quick ? 2 : 5));
  if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(seconds) || seconds < 1) {
    throw new Error('--rounds and --seconds must be positive integers');
  }

  const writ = startContender(new URL(import.meta.url), { WRIT_BENCH_ROLE: 'writ' });
  const oidc = startContender(new URL('./oidc-contender.ts', import.meta.url), {});
  const floor = startContender(new URL('./floor-contender.ts', import.meta.url), {});
  const [writAt, oidcAt, floorAt] = await Promise.all([
    listening(writ),
    listening(oidc),
    listening(floor),
  ]);
  const [setupLine, ...writNotes] = writAt.notes;
  const setup = JSON.parse(setupLine ?? '{}') as WritOAuthSetup;
  const writToken = `http://127.0.0.1:${writAt.port}/oauth/token`;
  const oidcToken = `http://127.0.0.1:${oidcAt.port}/token`;

  const writCc: Target = { url: writToken, headers: { ...form, authorization: setup.serviceAuth } };
  const oidcCc: Target = { url: oidcToken, headers: { ...form, authorization: oidcBasicAuth } };
  const writRefresh: Target = {
    url: writToken,
    headers: { ...form, authorization: setup.appAuth },
  };
  const oidcRefresh = oidcCc;
  const writIntrospect: Target = {
    url: `http://127.0.0.1:${writAt.port}/oauth/introspect`,
    headers: { ...form, authorization: setup.resourceAuth },
  };
  const writCcBody = 'grant_type=client_credentials';
  const oidcCcBody = `grant_type=client_credentials&scope=api&resource=${encodeURIComponent(oidcBench.resource)}`;
  const refreshBody = (token: string) =>
    `grant_type=refresh_token&refresh_token=${encodeURIComponent(token)}`;
  const introspectBody = `token=${encodeURIComponent(setup.introspectedToken)}`;
  const floorPlain: Target = { url: `http://127.0.0.1:${floorAt.port}/plain`, headers: form };
  const floorJwt: Target = {
    url: `http://127.0.0.1:${floorAt.port}/jwt`,
    headers: { ...form, authorization: oidcBasicAuth },
  };

  for (const [name, target, body] of [
    ['Writ client_credentials', writCc, writCcBody],
    ['oidc-provider client_credentials', oidcCc, oidcCcBody],
    ['Fastify floor + EdDSA JWT', floorJwt, writCcBody],
  ] as const) {
    const answer = await post(target, body);
    const token = answer.json.access_token;
    await check(
      name,
      answer.status === 200 && typeof token === 'string' && token.split('.').length === 3,
      `no JWT access token (${answer.status})`,
    );
  }
  for (const [name, target, port] of [
    ['Writ refresh_token', writRefresh, writAt.mintPort],
    ['oidc-provider refresh_token', oidcRefresh, oidcAt.mintPort],
  ] as const) {
    const [token] = await mint(port, 1);
    const first = await post(target, refreshBody(token ?? ''));
    await check(
      name,
      first.status === 200 &&
        typeof first.json.refresh_token === 'string' &&
        first.json.refresh_token !== token,
      `a refresh did not rotate (${first.status})`,
    );
    const again = await post(target, refreshBody(token ?? ''));
    await check(name, again.json.error === 'invalid_grant', 'a spent token was not refused');
  }
  const introspected = await post(writIntrospect, introspectBody);
  await check('Writ introspection', introspected.json.active === true, 'token not active');

  const variants: Array<{ name: string; run(durationSec: number): Promise<Run> }> = [
    { name: 'Writ client_credentials', run: (s) => loadFixed(writ, writCc, writCcBody, s) },
    {
      name: 'oidc-provider client_credentials',
      run: (s) => loadFixed(oidc, oidcCc, oidcCcBody, s),
    },
    {
      name: 'Writ refresh_token (SQLite, durable)',
      run: (s) => loadWithPool('writ', writ, writRefresh, writAt.mintPort, refreshBody, s),
    },
    {
      name: 'oidc-provider refresh_token (in memory)',
      run: (s) => loadWithPool('oidc', oidc, oidcRefresh, oidcAt.mintPort, refreshBody, s),
    },
    {
      name: 'Writ introspection (JWT)',
      run: (s) => loadFixed(writ, writIntrospect, introspectBody, s),
    },
    { name: floorPlainName, run: (s) => loadFixed(floor, floorPlain, writCcBody, s) },
    { name: floorJwtName, run: (s) => loadFixed(floor, floorJwt, writCcBody, s) },
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
  for (const contender of [writ, oidc, floor]) contender.send({ type: 'close' });
  await Promise.all(
    [writ, oidc, floor].map(
      (contender) =>
        new Promise((done) => {
          if (contender.child.exitCode !== null) done(undefined);
          else contender.child.once('exit', done);
        }),
    ),
  );

  const rate = (name: string) => median((samples.get(name) ?? []).map((r) => r.perSec));
  const spread = (name: string) => spreadPercent((samples.get(name) ?? []).map((r) => r.perSec));
  const cpu = (name: string) => median((samples.get(name) ?? []).map((r) => r.cpuUsPerRequest));
  console.log('\n## POST /oauth/token: Writ next to oidc-provider, one run\n');
  console.log(
    `${connections} connections, ${rounds} round(s) of ${seconds} s runs, order rotated per round, medians; every refresh spends a never-used token`,
  );
  for (const note of [...writNotes, ...oidcAt.notes, ...floorAt.notes]) console.log(`- ${note}`);
  console.log('');
  for (const variant of variants) {
    console.log(
      `${padEnd(variant.name, 42)} ${padStart(formatRate(rate(variant.name)), 7)}/s  ±${padEnd(`${spread(variant.name).toFixed(0)}%`, 4)}  ${padStart(cpu(variant.name).toFixed(0), 5)} µs main-thread CPU/request`,
    );
  }
  const ccRatio = rate('Writ client_credentials') / rate('oidc-provider client_credentials');
  // How far ahead of oidc-provider a client_credentials endpoint doing nothing but the form,
  // the secret's hash and one EdDSA signature gets in this run: the bound of the 3x target.
  const floorJwtRatio = rate(floorJwtName) / rate('oidc-provider client_credentials');
  const writToFloor = rate('Writ client_credentials') / rate(floorJwtName);
  const refreshRatio =
    rate('Writ refresh_token (SQLite, durable)') / rate('oidc-provider refresh_token (in memory)');
  console.log('');
  console.log(
    `Writ / oidc-provider client_credentials   ${formatRatio(ccRatio)}  (target >= 3.0: ${ccRatio >= 3 ? 'PASS' : 'FAIL'}${ccRatio < 3 && floorJwtRatio < 3 ? ": beyond this run's bound, see below" : ''})`,
  );
  console.log(
    `  bound: the Fastify floor + EdDSA JWT / oidc-provider ${formatRatio(floorJwtRatio)}; Writ / that floor ${formatRatio(writToFloor)}; plain Fastify / oidc-provider ${formatRatio(rate(floorPlainName) / rate('oidc-provider client_credentials'))}`,
  );
  console.log(
    `Writ / oidc-provider refresh_token        ${formatRatio(refreshRatio)}  (target > 1.0: ${refreshRatio > 1 ? 'PASS' : 'FAIL'})`,
  );
  const ccCpuRatio = cpu('oidc-provider client_credentials') / cpu('Writ client_credentials');
  const refreshCpuRatio =
    cpu('oidc-provider refresh_token (in memory)') / cpu('Writ refresh_token (SQLite, durable)');
  console.log(
    `oidc-provider / Writ main-thread CPU per request: client_credentials ${formatRatio(ccCpuRatio)}, refresh_token ${formatRatio(refreshCpuRatio)}`,
  );
  console.log(
    `\nRESULT oauth-token writClientCredentialsPerSec=${rate('Writ client_credentials').toFixed(0)} oidcClientCredentialsPerSec=${rate('oidc-provider client_credentials').toFixed(0)} writRefreshPerSec=${rate('Writ refresh_token (SQLite, durable)').toFixed(0)} oidcRefreshPerSec=${rate('oidc-provider refresh_token (in memory)').toFixed(0)} writIntrospectionPerSec=${rate('Writ introspection (JWT)').toFixed(0)} floorJwtPerSec=${rate(floorJwtName).toFixed(0)} floorPlainPerSec=${rate(floorPlainName).toFixed(0)}`,
  );
}

if (role === 'writ') {
  if (process.send === undefined) throw new Error('the Writ contender is started by this file');
  await runWritContender();
} else {
  await runLoadGenerator();
}
