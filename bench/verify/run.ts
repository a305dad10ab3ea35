/**
 * Verification throughput: @writ/verify against jose, fast-jwt, jsonwebtoken and the synchronous
 * node:crypto floor, for EdDSA, ES256, RS256 and HS256, one at a time and with 32 in flight.
 *
 *   node_modules/.bin/node bench/verify/run.ts            # full run (3–3½ min on 2 cores)
 *   node_modules/.bin/node bench/verify/run.ts --quick    # one short round, for smoke runs
 *
 * Every contender runs in this one process, interleaved: in each round every (algorithm, mode,
 * contender) case runs once for a fixed time, in an order rotated from round to round, and the
 * tables report the median of the rounds. The exit code is 0 whatever the targets say: this is a
 * report, not a gate.
 */
import { createHmac, verify as cryptoVerify, timingSafeEqual } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import { createVerifier as createWritVerifier, type VerifierOptions } from '@writ/verify';
import { createVerifier as createFastJwtVerifier } from 'fast-jwt';
import { importJWK, jwtVerify } from 'jose';
import jwt from 'jsonwebtoken';
// Internal module, read-only: timed directly to measure the key-set lookup on its own.
import { createLocalKeySet } from '../../packages/verify/src/local-key-set.ts';
// The floor re-encodes ECDSA signatures with the library's own (tested) R‖S → DER function.
import { derFromP1363 } from '../../packages/verify/src/signature.ts';
// Internal module, read-only: where the signature checks ran (main thread or verify worker).
import { dispatchStats } from '../../packages/verify/src/signature-dispatch.ts';
import { foreignCores, markLoad, waitForQuiet } from './contention.ts';
import {
  audience,
  type BenchAlgorithm,
  benchAlgorithms,
  createFixture,
  type Fixture,
  issuer,
  keySetAround,
  tokenType,
} from './fixtures.ts';
import {
  formatRate,
  formatRatio,
  median,
  padEnd,
  padStart,
  spreadPercent,
  verdict,
} from './stats.ts';

// ---------------------------------------------------------------------------------------------
// Options

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    ms: { type: 'string' },
    // A comma-separated subset of the algorithms, for quicker runs while working on one.
    algs: { type: 'string' },
  },
});
const quick = args.quick === true;
const rounds = Number(args.rounds ?? (quick ? 1 : 10));
const segmentMs = Number(args.ms ?? (quick ? 150 : 200));
const warmupMs = quick ? 40 : 100;
const inFlight = 32;
const clockToleranceSec = 5;
/** A segment during which other processes used more than this many cores is run again. */
const foreignLimitCores = 0.25;
/** Runs per segment at most (the last one is kept whatever the load). */
const maxAttempts = 4;
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isFinite(segmentMs) || segmentMs < 10) {
  throw new Error('--rounds must be a positive integer and --ms at least 10');
}

// ---------------------------------------------------------------------------------------------
// Counting key imports: every WebCrypto key import goes through crypto.subtle.importKey.

let importKeyCalls = 0;
const subtle = globalThis.crypto.subtle;
const originalImportKey = subtle.importKey;
subtle.importKey = function countedImportKey(this: SubtleCrypto, ...rest: unknown[]) {
  importKeyCalls++;
  return Reflect.apply(originalImportKey, this, rest) as Promise<CryptoKey>;
} as SubtleCrypto['importKey'];

// ---------------------------------------------------------------------------------------------
// Contenders

type Call = (token: string) => unknown;

type ContenderId =
  | 'floor'
  | 'floorAsync'
  | 'writUncached'
  | 'writCached'
  | 'writCachedFresh'
  | 'jose'
  | 'fastJwt'
  | 'jsonwebtoken'
  | 'lookup'
  | 'writUncached100'
  | 'ceiling';

interface Contender {
  readonly id: ContenderId;
  readonly label: string;
  /** Synchronous: 32 "in flight" would run one after another, so only one mode is timed. */
  readonly sync: boolean;
  readonly call: Call;
  /** Set when the contender cannot verify this algorithm: why. */
  readonly unavailable?: string;
  /** Its own timing loop, instead of calling `call` (returns how many operations completed). */
  readonly timed?: (ms: number) => Promise<number>;
}

const contenderLabels: Record<ContenderId, string> = {
  floor: 'node:crypto floor (sync)',
  floorAsync: 'node:crypto async (threadpool)',
  writUncached: '@writ/verify uncached',
  writCached: '@writ/verify cached (hit)',
  writCachedFresh: '  … hit, token as a new string',
  jose: 'jose.jwtVerify',
  fastJwt: 'fast-jwt (sync)',
  jsonwebtoken: 'jsonwebtoken (sync)',
  lookup: 'key-set lookup only (100 keys)',
  writUncached100: '@writ/verify uncached, 100-key set',
  ceiling: 'pure crypto.verify on two threads (ceiling)',
};

const tableOrder: readonly ContenderId[] = [
  'floor',
  'floorAsync',
  'writUncached',
  'writCached',
  'writCachedFresh',
  'jose',
  'fastJwt',
  'jsonwebtoken',
];

type SignatureCheck = (input: Buffer, signature: Buffer) => boolean;
type AsyncSignatureCheck = (input: Buffer, signature: Buffer) => Promise<boolean>;

/*
 * The floor uses node:crypto's fastest form: the bare KeyObject. With `{ key, dsaEncoding:
 * 'ieee-p1363' }` an ES256 verify costs 30–70 µs more on Node 24 than the same signature re-encoded
 * as DER (measured), so the floor re-encodes, as @writ/verify does; otherwise "×floor" for ES256
 * would measure node:crypto's options parsing, not the distance to the crypto.
 */
function syncSignatureCheck(fixture: Fixture): SignatureCheck {
  const key = fixture.verifyKey;
  switch (fixture.alg) {
    case 'EdDSA':
      return (input, signature) => cryptoVerify(null, input, key, signature);
    case 'ES256':
      return (input, signature) =>
        signature.length === 64 && cryptoVerify('sha256', input, key, derFromP1363(signature));
    case 'RS256':
      return (input, signature) => cryptoVerify('sha256', input, key, signature);
    case 'HS256':
      return (input, signature) => {
        const mac = createHmac('sha256', key).update(input).digest();
        return signature.length === mac.length && timingSafeEqual(mac, signature);
      };
  }
}

/** node:crypto's callback form: the same verification, run on the libuv threadpool. */
function threadpoolSignatureCheck(fixture: Fixture): AsyncSignatureCheck | undefined {
  if (fixture.alg === 'HS256') return undefined; // node:crypto has no asynchronous HMAC
  const hash = fixture.alg === 'EdDSA' ? null : 'sha256';
  const key = fixture.verifyKey;
  const der = fixture.alg === 'ES256';
  return (input, signature) =>
    new Promise((resolve, reject) => {
      if (der && signature.length !== 64) {
        resolve(false);
        return;
      }
      cryptoVerify(hash, input, key, der ? derFromP1363(signature) : signature, (error, valid) => {
        if (error === null) resolve(valid);
        else reject(error);
      });
    });
}

/**
 * What two threads can do on this machine at best: the bare `crypto.verify` of the token's
 * signature (no decoding, no claims, no hand-off) in a loop on the main thread and, at the same
 * time, in a worker. Its ratio to the floor bounds what any verifier using two threads can reach
 * here with 32 in flight (a little above it: the floor also decodes and checks claims).
 */
const ceilingWorker = new Worker(
  `const { parentPort } = require('node:worker_threads');
   const { verify } = require('node:crypto');
   parentPort.on('message', ({ ms, digest, input, key, signature }) => {
     let count = 0;
     const end = performance.now() + ms;
     do { for (let i = 0; i < 8; i++) verify(digest, input, key, signature); count += 8; }
     while (performance.now() < end);
     parentPort.postMessage(count);
   });`,
  { eval: true },
);
ceilingWorker.unref();

function ceilingLoop(fixture: Fixture): ((ms: number) => Promise<number>) | undefined {
  if (fixture.alg === 'HS256') return undefined;
  const [header, payload, encoded] = fixture.token.split('.');
  const input = Buffer.from(`${header}.${payload}`, 'latin1');
  const raw = Buffer.from(encoded ?? '', 'base64url');
  const signature = fixture.alg === 'ES256' ? derFromP1363(raw) : raw;
  const digest = fixture.alg === 'EdDSA' ? null : 'sha256';
  const key = fixture.verifyKey;
  if (!cryptoVerify(digest, input, key, signature)) throw new Error('ceiling: bad signature');
  return async (ms) => {
    const other = new Promise<number>((resolve) => ceilingWorker.once('message', resolve));
    ceilingWorker.ref();
    ceilingWorker.postMessage({ ms, digest, input, key, signature });
    let count = 0;
    const end = performance.now() + ms;
    do {
      for (let i = 0; i < batch; i++) blackhole = cryptoVerify(digest, input, key, signature);
      count += batch;
    } while (performance.now() < end);
    const total = count + (await other);
    ceilingWorker.unref();
    return total;
  };
}

/**
 * The raw floor: node:crypto with a pre-built KeyObject, base64url decoding and JSON.parse of
 * header and payload, and the same header and claim checks; nothing else.
 */
function createFloor(fixture: Fixture, check: SignatureCheck): Call;
function createFloor(fixture: Fixture, check: AsyncSignatureCheck): Call;
function createFloor(fixture: Fixture, check: SignatureCheck | AsyncSignatureCheck): Call {
  const decode = (segment: string): Record<string, unknown> =>
    JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as Record<string, unknown>;
  const checkClaims = (payload: string): Record<string, unknown> => {
    const claims = decode(payload);
    const now = Date.now() / 1000;
    const { iss, aud, exp, nbf, iat } = claims;
    if (iss !== issuer) throw new Error('issuer');
    if (aud !== audience && !(Array.isArray(aud) && aud.includes(audience))) {
      throw new Error('audience');
    }
    if (typeof exp !== 'number' || exp <= now - clockToleranceSec) throw new Error('expired');
    if (nbf !== undefined && (typeof nbf !== 'number' || nbf > now + clockToleranceSec)) {
      throw new Error('not yet valid');
    }
    if (typeof iat !== 'number' || iat > now + clockToleranceSec) throw new Error('iat');
    return claims;
  };
  return (token) => {
    const first = token.indexOf('.');
    const second = token.indexOf('.', first + 1);
    if (first === -1 || second === -1) throw new Error('malformed');
    const header = decode(token.slice(0, first));
    if (header.alg !== fixture.alg || header.typ !== tokenType || header.kid !== fixture.kid) {
      throw new Error('bad header');
    }
    const input = Buffer.from(token.slice(0, second), 'latin1');
    const signature = Buffer.from(token.slice(second + 1), 'base64url');
    const valid = check(input, signature);
    if (typeof valid === 'boolean') {
      if (!valid) throw new Error('bad signature');
      return checkClaims(token.slice(first + 1, second));
    }
    return valid.then((ok) => {
      if (!ok) throw new Error('bad signature');
      return checkClaims(token.slice(first + 1, second));
    });
  };
}

function writOptions(fixture: Fixture, extra: Partial<VerifierOptions>): VerifierOptions {
  const base = { issuer, audience, algorithms: [fixture.alg], clockToleranceSec, ...extra };
  if (fixture.secret !== undefined) return { ...base, secret: fixture.secret };
  if (fixture.publicJwk === undefined) throw new Error('no key');
  return { ...base, jwks: { keys: [fixture.publicJwk] } };
}

async function joseKey(fixture: Fixture): Promise<CryptoKey> {
  if (fixture.secret !== undefined) {
    return subtle.importKey(
      'raw',
      new Uint8Array(fixture.secret),
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['verify'],
    );
  }
  if (fixture.publicJwk === undefined) throw new Error('no key');
  const key = await importJWK(fixture.publicJwk, fixture.alg);
  if (!(key instanceof CryptoKey)) throw new Error('jose did not return a CryptoKey');
  return key;
}

async function createContenders(fixture: Fixture): Promise<Contender[]> {
  const { alg } = fixture;
  const contenders: Contender[] = [];
  const add = (id: ContenderId, sync: boolean, call: Call): void => {
    contenders.push({ id, label: contenderLabels[id], sync, call });
  };

  add('floor', true, createFloor(fixture, syncSignatureCheck(fixture)));
  const threadpool = threadpoolSignatureCheck(fixture);
  if (threadpool !== undefined) add('floorAsync', false, createFloor(fixture, threadpool));
  const ceiling = ceilingLoop(fixture);
  if (ceiling !== undefined) {
    contenders.push({
      id: 'ceiling',
      label: contenderLabels.ceiling,
      sync: false,
      call: () => undefined,
      timed: ceiling,
    });
  }

  const uncached = createWritVerifier(writOptions(fixture, { cacheSize: 0 }));
  add('writUncached', false, (token) => uncached.verify(token));
  const cached = createWritVerifier(writOptions(fixture, {}));
  add('writCached', false, (token) => cached.verify(token));
  if (alg === 'EdDSA') {
    // A server gets each token as a fresh string, whose hash the cache lookup must compute anew.
    const bytes = Buffer.from(fixture.token, 'latin1');
    add('writCachedFresh', false, (token) =>
      cached.verify(token === fixture.token ? bytes.toString('latin1') : token),
    );
  }

  const key = await joseKey(fixture);
  const joseOptions = {
    issuer,
    audience,
    typ: tokenType,
    algorithms: [alg],
    clockTolerance: clockToleranceSec,
  };
  add('jose', false, (token) => jwtVerify(token, key, joseOptions));

  const fastJwtVerify = createFastJwtVerifier({
    key: fixture.fastJwtKey,
    algorithms: [alg],
    allowedIss: issuer,
    allowedAud: audience,
    checkTyp: tokenType,
    clockTolerance: clockToleranceSec * 1000,
    cache: false,
  });
  add('fastJwt', true, (token) => fastJwtVerify(token));

  const jsonwebtokenOptions = {
    algorithms: [alg as jwt.Algorithm],
    issuer,
    audience,
    clockTolerance: clockToleranceSec,
    complete: true as const,
  };
  add('jsonwebtoken', true, (token) => {
    const decoded = jwt.verify(token, fixture.verifyKey, jsonwebtokenOptions);
    if (decoded.header.typ !== tokenType) throw new Error('typ');
    return decoded;
  });

  if (alg === 'EdDSA' || alg === 'ES256') {
    // The library's own key index and resolver, over a set of 100 keys, timed on its own.
    const bigSet = keySetAround(fixture, 100);
    const resolver = createLocalKeySet(bigSet, new Set([alg]));
    await resolver.resolve(fixture.kid, alg);
    add('lookup', false, () => resolver.resolve(fixture.kid, alg));
    const uncached100 = createWritVerifier({
      ...writOptions(fixture, { cacheSize: 0 }),
      jwks: bigSet,
    });
    add('writUncached100', false, (token) => uncached100.verify(token));
  }
  return Promise.all(contenders.map((contender) => check(contender, fixture)));
}

const peers: ReadonlySet<ContenderId> = new Set(['jose', 'fastJwt', 'jsonwebtoken']);

const errorText = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/**
 * Each contender must accept the token and refuse the forged one before it is timed. One that
 * cannot verify the algorithm at all is reported n/a with its own error.
 */
async function check(contender: Contender, fixture: Fixture): Promise<Contender> {
  if (contender.id === 'lookup' || contender.id === 'ceiling') return contender;
  try {
    await contender.call(fixture.token);
  } catch (error) {
    // Only a peer may lack an algorithm; @writ/verify or the floor refusing a good token is a bug.
    if (!peers.has(contender.id)) {
      throw new Error(`${contender.label} refused a valid ${fixture.alg} token`, { cause: error });
    }
    return { ...contender, unavailable: errorText(error) };
  }
  let forgedAccepted = true;
  try {
    await contender.call(fixture.forged);
  } catch {
    forgedAccepted = false;
  }
  if (forgedAccepted) throw new Error(`${contender.label} accepted a forged ${fixture.alg} token`);
  return contender;
}

// ---------------------------------------------------------------------------------------------
// Timing loops: each checks the clock every few calls and returns how many calls completed.

const batch = 8;
let blackhole: unknown;

function timeSync(call: Call, token: string, ms: number): number {
  let count = 0;
  const end = performance.now() + ms;
  do {
    for (let i = 0; i < batch; i++) blackhole = call(token);
    count += batch;
  } while (performance.now() < end);
  return count;
}

/** One at a time: each call is awaited before the next starts. */
async function timeSequential(call: Call, token: string, ms: number): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  do {
    for (let i = 0; i < batch; i++) blackhole = await call(token);
    count += batch;
  } while (performance.now() < end);
  return count;
}

/** `inFlight` independent loops, each awaiting its own calls: that many verifies outstanding. */
async function timeConcurrent(call: Call, token: string, ms: number): Promise<number> {
  let count = 0;
  const end = performance.now() + ms;
  const worker = async (): Promise<void> => {
    do {
      for (let i = 0; i < 4; i++) blackhole = await call(token);
      count += 4;
    } while (performance.now() < end);
  };
  await Promise.all(Array.from({ length: inFlight }, worker));
  return count;
}

// ---------------------------------------------------------------------------------------------
// Cases and rounds

type Mode = 'sequential' | 'concurrent';

interface Case {
  readonly key: string;
  readonly alg: BenchAlgorithm;
  readonly mode: Mode;
  readonly contender: Contender;
  readonly token: string;
  readonly samples: number[];
  /** Foreign load (cores) during each kept sample. */
  readonly foreign: number[];
  /** CPU time per call on the main thread, and in the whole process (threadpool included), µs. */
  readonly mainCpu: number[];
  readonly allCpu: number[];
  /**
   * The floor's rate (same algorithm) in a short segment timed just before each kept sample: the
   * ratio to the floor is taken against it, so both sides see the machine in the same state.
   */
  readonly adjacentFloor: number[];
  readonly unblockedThreads: number[];
  importCalls: number;
}

const caseKey = (alg: BenchAlgorithm, mode: Mode, id: ContenderId): string =>
  `${alg}|${mode}|${id}`;

interface Measurement {
  readonly rate: number;
  readonly mainCpu: number;
  readonly allCpu: number;
  /**
   * Σ over this process's busy threads of the share of the segment each was not blocked
   * (running, or runnable and waiting for a core), from /proc/self/task/<tid>/schedstat; NaN
   * where that is not readable. On idle cores the waiting would be running: it is how many
   * cores the contender could keep busy, whatever other processes take meanwhile.
   */
  readonly unblockedThreads: number;
}

interface ThreadTime {
  readonly cpuMs: number;
  readonly waitMs: number;
}

function threadTimes(): Map<string, ThreadTime> | undefined {
  const times = new Map<string, ThreadTime>();
  try {
    for (const tid of readdirSync('/proc/self/task')) {
      const fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
      times.set(tid, { cpuMs: Number(fields[0]) / 1e6, waitMs: Number(fields[1]) / 1e6 });
    }
  } catch {
    return undefined;
  }
  return times;
}

function unblockedSince(before: Map<string, ThreadTime> | undefined, wallMs: number): number {
  const after = threadTimes();
  if (before === undefined || after === undefined || wallMs <= 0) return Number.NaN;
  let sum = 0;
  for (const [tid, now] of after) {
    const then = before.get(tid);
    if (then === undefined) continue;
    const cpu = now.cpuMs - then.cpuMs;
    // Threads that barely ran (V8's helpers, idle pool threads) are not the contender's.
    if (cpu < wallMs * 0.05) continue;
    sum += Math.min(1, (cpu + now.waitMs - then.waitMs) / wallMs);
  }
  return sum;
}

async function timeOnce(entry: Case, ms: number): Promise<Measurement> {
  const { call, sync } = entry.contender;
  const before = importKeyCalls;
  const mainBefore = process.threadCpuUsage();
  const allBefore = process.cpuUsage();
  const threadsBefore = entry.mode === 'concurrent' ? threadTimes() : undefined;
  const start = performance.now();
  const count = entry.contender.timed
    ? await entry.contender.timed(ms)
    : sync
      ? timeSync(call, entry.token, ms)
      : entry.mode === 'sequential'
        ? await timeSequential(call, entry.token, ms)
        : await timeConcurrent(call, entry.token, ms);
  const elapsedMs = performance.now() - start;
  const main = process.threadCpuUsage(mainBefore);
  const all = process.cpuUsage(allBefore);
  entry.importCalls += importKeyCalls - before;
  return {
    rate: (count * 1000) / elapsedMs,
    mainCpu: (main.user + main.system) / count,
    allCpu: (all.user + all.system) / count,
    unblockedThreads: unblockedSince(threadsBefore, elapsedMs),
  };
}

let retriedSegments = 0;
let loadedSegments = 0;
let waitedMs = 0;
/** After this time the run stops waiting and rerunning, so neighbours cannot stretch it unbounded. */
let patienceEndsMs = Number.POSITIVE_INFINITY;

/**
 * Times one segment. On a shared machine it first waits (briefly) for other processes to quiet
 * down, and reruns the segment if they took more than `foreignLimitCores` while it ran.
 */
async function runCase(entry: Case, ms: number): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const patient = performance.now() < patienceEndsMs;
    if (patient) waitedMs += await waitForQuiet(foreignLimitCores, 1500);
    // One turn of the event loop between segments, as a server gets between its requests: once
    // the run stops waiting for quiet, segments would otherwise follow each other without one,
    // and the verifier would take a 32-in-flight segment for the one-at-a-time caller before it
    // (its count of synchronous checks raised to 1024: ~200 ms on one core before any batch).
    await new Promise((resolve) => setImmediate(resolve));
    const mark = markLoad();
    const floorCase = entry.contender.id === 'floor' ? undefined : floorOf(entry.alg);
    const floor = floorCase === undefined ? undefined : await timeOnce(floorCase, ms / 2);
    const measured = await timeOnce(entry, ms);
    const foreign = foreignCores(mark);
    const clean = foreign <= foreignLimitCores;
    if (clean || attempt >= maxAttempts || !patient) {
      if (!clean) loadedSegments++;
      entry.adjacentFloor.push(floor?.rate ?? measured.rate);
      entry.samples.push(measured.rate);
      entry.foreign.push(foreign);
      entry.mainCpu.push(measured.mainCpu);
      entry.allCpu.push(measured.allCpu);
      entry.unblockedThreads.push(measured.unblockedThreads);
      return;
    }
    retriedSegments++;
  }
}

function rotate<T>(items: readonly T[], by: number): T[] {
  const shift = items.length === 0 ? 0 : by % items.length;
  return [...items.slice(shift), ...items.slice(0, shift)];
}

// ---------------------------------------------------------------------------------------------
// Main

const cpuModel = cpus()[0]?.model ?? 'unknown CPU';
console.log(
  `@writ/verify benchmark — Node ${process.version}, ${availableParallelism()} cores (${cpuModel}), ` +
    `libuv threadpool ${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}`,
);
console.log(
  `${rounds} round(s) × ${segmentMs} ms per case, interleaved round-robin; medians reported. ` +
    `"32 in flight" = ${inFlight} concurrent async loops.`,
);

const importsBeforeSetup = importKeyCalls;
const selectedAlgorithms: readonly BenchAlgorithm[] =
  args.algs === undefined
    ? benchAlgorithms
    : benchAlgorithms.filter((alg) => (args.algs ?? '').split(',').includes(alg));
const fixtures = selectedAlgorithms.map(createFixture);
const contendersByAlg = new Map<BenchAlgorithm, Contender[]>();
for (const fixture of fixtures) {
  contendersByAlg.set(fixture.alg, await createContenders(fixture));
}
const setupImports = importKeyCalls - importsBeforeSetup;

const cases: Case[] = [];
const caseByKey = new Map<string, Case>();
for (const fixture of fixtures) {
  for (const contender of contendersByAlg.get(fixture.alg) ?? []) {
    if (contender.unavailable !== undefined) continue;
    const modes: Mode[] =
      contender.id === 'ceiling'
        ? ['concurrent']
        : contender.sync ||
            contender.id === 'lookup' ||
            contender.id === 'writUncached100' ||
            contender.id === 'writCachedFresh'
          ? ['sequential']
          : ['sequential', 'concurrent'];
    for (const mode of modes) {
      const entry: Case = {
        key: caseKey(fixture.alg, mode, contender.id),
        alg: fixture.alg,
        mode,
        contender,
        token: fixture.token,
        samples: [],
        foreign: [],
        mainCpu: [],
        allCpu: [],
        adjacentFloor: [],
        unblockedThreads: [],
        importCalls: 0,
      };
      cases.push(entry);
      caseByKey.set(entry.key, entry);
    }
  }
}

function floorOf(alg: BenchAlgorithm): Case | undefined {
  return caseByKey.get(caseKey(alg, 'sequential', 'floor'));
}

const expectedSec = Math.round((cases.length * (warmupMs + rounds * segmentMs * 1.5)) / 1000);
console.log(`${cases.length} cases; about ${expectedSec} s without reruns.\n`);

const roundsStartMs = performance.now();
for (const entry of cases) await timeOnce(entry, warmupMs);
const warmupImports = cases.map((entry) => entry.importCalls);
for (const entry of cases) entry.importCalls = 0;
// Waiting and reruns stop after half the planned time: at worst the run takes 1.5× as long.
patienceEndsMs = performance.now() + (cases.length * rounds * segmentMs * 1.5) / 2;
for (let round = 0; round < rounds; round++) {
  for (const entry of rotate(cases, round * Math.ceil(cases.length / rounds))) {
    await runCase(entry, segmentMs);
  }
  process.stdout.write(`round ${round + 1}/${rounds} done\n`);
}
const allForeign = cases.flatMap((entry) => entry.foreign);
console.log(
  `\n${((performance.now() - roundsStartMs) / 1000).toFixed(0)} s, of which ` +
    `${(waitedMs / 1000).toFixed(0)} s waiting for a quiet machine; ${retriedSegments} segment(s) ` +
    `rerun because other processes used > ${foreignLimitCores} core; ${loadedSegments} of ` +
    `${allForeign.length} kept under such load. Foreign load in kept segments: median ` +
    `${median(allForeign).toFixed(2)}, max ${Math.max(...allForeign).toFixed(2)} core.`,
);
void blackhole;

const formatCpu = (us: number): string => (us >= 10 ? us.toFixed(0) : us.toFixed(1));
const rateOf = (alg: BenchAlgorithm, mode: Mode, id: ContenderId): number => {
  const entry = caseByKey.get(caseKey(alg, mode, id));
  return entry === undefined ? Number.NaN : median(entry.samples);
};
/**
 * Ratio to the floor, paired: each sample against the floor's rate timed just before it, then the
 * median of those ratios. This machine's speed drifts between phases lasting seconds; a floor
 * timed in the same phase moves with the sample instead of against it.
 */
const pairedRatios = (alg: BenchAlgorithm, mode: Mode, id: ContenderId): number[] => {
  const entry = caseByKey.get(caseKey(alg, mode, id));
  if (entry === undefined) return [];
  return entry.samples.map((sample, index) => sample / (entry.adjacentFloor[index] ?? Number.NaN));
};
const ratioOf = (alg: BenchAlgorithm, mode: Mode, id: ContenderId): number =>
  median(pairedRatios(alg, mode, id));
const spreadOf = (alg: BenchAlgorithm, mode: Mode, id: ContenderId): number => {
  const entry = caseByKey.get(caseKey(alg, mode, id));
  return entry === undefined ? Number.NaN : spreadPercent(entry.samples);
};

// ---------------------------------------------------------------------------------------------
// Tables

const widths = [36, 11, 8, 5, 7, 10, 5, 7, 12] as const;
const row = (cells: readonly string[]): string =>
  cells
    .map((cell, index) =>
      index === 0 ? padEnd(cell, widths[0]) : padStart(cell, widths[index] ?? 8),
    )
    .join(' ');

for (const fixture of fixtures) {
  const { alg } = fixture;
  console.log(`\n${alg}${alg === 'RS256' ? ' (2048-bit)' : ''} — ops/s, median of ${rounds}`);
  console.log(
    `${padEnd('', widths[0])} ${padEnd('─────── one at a time ───────', 36)} ` +
      `──────── ${inFlight} in flight ────────`,
  );
  console.log(
    row(['contender', 'ops/s', 'µs/op', '±%', '×floor', 'ops/s', '±%', '×floor', 'CPU µs/op']),
  );
  for (const id of tableOrder) {
    const contender = contendersByAlg.get(alg)?.find((c) => c.id === id);
    if (contender === undefined) continue;
    if (contender.unavailable !== undefined) {
      console.log(`${padEnd(contender.label, widths[0])} n/a — ${contender.unavailable}`);
      continue;
    }
    const seq = rateOf(alg, 'sequential', id);
    const wide = contender.sync || id === 'writCachedFresh' ? 'sequential' : 'concurrent';
    const concurrent = rateOf(alg, wide, id);
    const cpu = caseByKey.get(caseKey(alg, wide, id));
    const cpuText =
      cpu === undefined ? '' : `${formatCpu(median(cpu.mainCpu))}/${formatCpu(median(cpu.allCpu))}`;
    console.log(
      row([
        contender.label,
        formatRate(seq),
        (1e6 / seq).toFixed(seq > 1e5 ? 2 : 1),
        spreadOf(alg, 'sequential', id).toFixed(0),
        formatRatio(ratioOf(alg, 'sequential', id)),
        contender.sync ? '= sync' : wide === 'sequential' ? '—' : formatRate(concurrent),
        wide === 'sequential' ? '' : spreadOf(alg, 'concurrent', id).toFixed(0),
        wide === 'sequential' && !contender.sync ? '' : formatRatio(ratioOf(alg, wide, id)),
        cpuText,
      ]),
    );
  }
  const writImports = cases
    .filter((entry) => entry.alg === alg && entry.contender.id.startsWith('writ'))
    .reduce((sum, entry) => sum + entry.importCalls, 0);
  console.log(`crypto.subtle.importKey calls during the timed @writ/verify loops: ${writImports}`);
  if (alg === 'EdDSA' || alg === 'ES256') {
    const lookup = rateOf(alg, 'sequential', 'lookup');
    const big = rateOf(alg, 'sequential', 'writUncached100');
    const small = rateOf(alg, 'sequential', 'writUncached');
    console.log(
      `key-set lookup: await resolve(kid, alg) on a 100-key index ${(1e9 / lookup).toFixed(0)} ns; ` +
        `uncached verify with a 100-key set ${formatRate(big)} ops/s vs 1-key set ${formatRate(small)} ` +
        `(${(((big - small) / small) * 100).toFixed(1)}%)`,
    );
  }
}
console.log(
  '\n"= sync": a synchronous verifier blocks the thread, so 32 in flight run one after another; ' +
    'its one-at-a-time figure applies.',
);
console.log(
  'CPU µs/op: CPU time per verify on the main thread / in the whole process (libuv threadpool ' +
    `included), with ${inFlight} in flight (one at a time for synchronous contenders).`,
);
console.log(
  '×floor: ratio to the one-core synchronous floor of the same algorithm, each sample against ' +
    'the floor timed just before it, then the median; ' +
    '±%: half the interquartile range over the rounds, as % of the median.',
);

// ---------------------------------------------------------------------------------------------
// Targets

const medianForeign = median(allForeign);
if (medianForeign > foreignLimitCores) {
  console.log(
    `\nWARNING: other processes used a median ${medianForeign.toFixed(2)} core during the kept ` +
      `segments. "${inFlight} in flight" needs both cores, so those figures are understated; ` +
      'rerun on a quiet machine before trusting them.',
  );
}
console.log(
  '\nTargets (issue 12; uncached @writ/verify unless noted; ×floor = ratio to the one-core node:crypto floor in this run)',
);
const line = (pass: boolean, text: string): void => {
  console.log(`${verdict(pass)}  ${text}`);
};
const seqTarget = { EdDSA: 0.85, ES256: 0.85, RS256: 0.8, HS256: 0.6 } as const;
for (const alg of selectedAlgorithms) {
  const ratio = ratioOf(alg, 'sequential', 'writUncached');
  line(
    ratio >= seqTarget[alg],
    `${alg} one at a time ≥ ${seqTarget[alg]}× floor: ${formatRatio(ratio)} ` +
      `(${formatRate(rateOf(alg, 'sequential', 'writUncached'))} vs floor ` +
      `${formatRate(rateOf(alg, 'sequential', 'floor'))} ops/s)`,
  );
}
for (const alg of ['EdDSA', 'ES256'] as const) {
  const floor = rateOf(alg, 'sequential', 'floor');
  const concurrent = rateOf(alg, 'concurrent', 'writUncached');
  const cpu = caseByKey.get(caseKey(alg, 'concurrent', 'writUncached'));
  const floorCpu = caseByKey.get(caseKey(alg, 'sequential', 'floor'));
  // Upper bound with two idle cores: all the CPU a verify costs spread over both cores, and
  // never faster than its main-thread share allows; the floor's own CPU cost is its bound.
  const bound =
    cpu === undefined || floorCpu === undefined
      ? Number.NaN
      : Math.min(2 / median(cpu.allCpu), 1 / median(cpu.mainCpu)) * median(floorCpu.allCpu);
  const wideRatio = ratioOf(alg, 'concurrent', 'writUncached');
  // On idle cores: the threads' unblocked share (running or waiting for a core) would all run,
  // at the CPU cost per verify measured here, against the floor's cost.
  const projectedOf = (id: ContenderId): { unblocked: number; projected: number } => {
    const entry = caseByKey.get(caseKey(alg, 'concurrent', id));
    const unblocked = median(entry?.unblockedThreads ?? []);
    const projected =
      entry === undefined || floorCpu === undefined
        ? Number.NaN
        : (Math.min(2, unblocked) * median(floorCpu.allCpu)) / median(entry.allCpu);
    return { unblocked, projected };
  };
  const { unblocked, projected } = projectedOf('writUncached');
  const poolProjected = projectedOf('floorAsync').projected;
  line(
    wideRatio >= 1.6,
    `${alg} ${inFlight} in flight ≥ 1.6× floor (two cores: the limit is 2.0×): ` +
      `${formatRatio(wideRatio)} (${formatRate(concurrent)} vs floor ${formatRate(floor)} ops/s; ` +
      `CPU-time bound on two idle cores ${formatRatio(bound)}; node:crypto's threadpool path ` +
      `${formatRatio(ratioOf(alg, 'concurrent', 'floorAsync'))}; pure crypto on two threads ` +
      `${formatRatio(ratioOf(alg, 'concurrent', 'ceiling'))}; threads not blocked ` +
      `${unblocked.toFixed(2)} of a possible 2, so on idle cores ≈ ${formatRatio(projected)}, ` +
      `threadpool path ≈ ${formatRatio(poolProjected)})`,
  );
  const fastJwt = rateOf(alg, 'sequential', 'fastJwt');
  line(
    concurrent > fastJwt,
    `${alg} ${inFlight} in flight ahead of fast-jwt: ${formatRate(concurrent)} vs ` +
      `${formatRate(fastJwt)} ops/s (${formatRatio(concurrent / fastJwt)})`,
  );
}
const freshRatio = ratioOf('EdDSA', 'sequential', 'writCachedFresh');
line(
  freshRatio >= 150,
  `cache hit, token as a new string each call ≥ 150× EdDSA floor: ${formatRatio(freshRatio)} ` +
    `(${formatRate(rateOf('EdDSA', 'sequential', 'writCachedFresh'))} ops/s; same string ` +
    `${formatRatio(ratioOf('EdDSA', 'sequential', 'writCached'))})`,
);
console.log('(HTTP with auth (cached) ≥ 0.9× no auth: printed by bench/verify/http.ts)');
{
  const stats = dispatchStats();
  const batched = stats.checkedByWorker + stats.checkedOnMainThread;
  console.log(
    `info  batched signature checks (many in flight): ${batched}, ` +
      `${((stats.checkedByWorker / Math.max(batched, 1)) * 100).toFixed(0)}% by the verify worker, ` +
      `in ${stats.batchesShared} batches shared with it (${(batched / Math.max(stats.batchesShared, 1)).toFixed(1)} checks each); ` +
      `worker starts ${stats.workerStarts}, checks refused because a worker was lost ${stats.refusedByWorkerLoss}`,
  );
}
for (const alg of ['EdDSA', 'ES256'] as const) {
  const lookupNs = 1e9 / rateOf(alg, 'sequential', 'lookup');
  const verifyNs = 1e9 / rateOf(alg, 'sequential', 'writUncached');
  console.log(
    `info  ${alg} key-set lookup on a 100-key index: ${lookupNs.toFixed(0)} ns, ` +
      `${((lookupNs / verifyNs) * 100).toFixed(2)}% of a verify; jose.jwtVerify ` +
      `${formatRatio(ratioOf(alg, 'sequential', 'jose'))} one at a time, ` +
      `${formatRatio(ratioOf(alg, 'concurrent', 'jose'))} with ${inFlight} in flight`,
  );
}
let timedWritImports = 0;
for (const entry of cases) {
  if (entry.contender.id.startsWith('writ')) timedWritImports += entry.importCalls;
}
const warmupWritImports = cases.reduce(
  (sum, entry, index) =>
    entry.contender.id.startsWith('writ') ? sum + (warmupImports[index] ?? 0) : sum,
  0,
);
console.log(
  `info  no per-call key import: crypto.subtle.importKey calls in timed @writ/verify loops = ` +
    `${timedWritImports} (warm-up ${warmupWritImports}; during setup, all contenders: ${setupImports})`,
);
