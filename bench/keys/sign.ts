/**
 * Signing and verifying per algorithm (issue 14, item 9): what each signing algorithm costs the
 * service and its consumers, next to the raw node:crypto floor measured in the same run.
 *
 * - sign: access tokens signed through the service's own signing path — a real service's key
 *   ring (WRIT_SIGNING_ALGORITHMS = all six, one audience per algorithm through
 *   WRIT_AUDIENCE_ALGORITHMS), which builds the JWS and asks the sealed custody's key handle for
 *   the signature on the threadpool — against `crypto.sign` on the same key material over the
 *   same signing input: synchronous one at a time, the threadpool (callback) form 32 in flight.
 * - sizes: a typical first-party access token per algorithm, and its public JWK.
 * - verify: @writ/verify with its cache off (every verify checks the signature), one at a time
 *   and 32 in flight, against the synchronous `crypto.verify` of the same token on the same key.
 *
 *   node_modules/.bin/node bench/keys/sign.ts              # ~60 s
 *   node_modules/.bin/node bench/keys/sign.ts --seconds 20 --rounds 2
 *
 * Each Writ case and its floor run as a pair, in alternating slices within a round; pairs run
 * in a rotated order; each ratio is taken within its round and the median of the rounds is
 * reported. "Writ/floor" compares rates; "by cpu" compares this process's CPU per operation
 * (floor's / Writ's: 1.00× means Writ spends what the floor does), which stays steady when other
 * processes take the cores. On a shared, busy machine compare ratios, not absolute rates. The
 * exit code is 0 whatever the numbers: a report, not a gate.
 */
import {
  constants,
  createPrivateKey,
  createPublicKey,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
  randomBytes,
  type SignKeyObjectInput,
  type VerifyKeyObjectInput,
} from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { createVerifier } from '@writ/verify';
import type { JWK } from 'jose';
import { type RunningService, startService } from '../../packages/server/src/app/start-service.ts';
import type { SigningAlgorithm } from '../../packages/server/src/keys/key-custody.ts';
import { loadConfig } from '../../packages/server/src/platform/config/load-config.ts';
import { open } from '../../packages/server/src/platform/crypto/sealed-box.ts';
// The verify floor re-encodes ECDSA signatures as DER with the library's own (tested) function,
// as @writ/verify does: node:crypto's ieee-p1363 option costs more than the re-encoding.
import { derFromP1363 } from '../../packages/verify/src/ecdsa-der.ts';
import {
  formatRate,
  formatRatio,
  median,
  padEnd,
  padStart,
  spreadPercent,
} from '../verify/stats.ts';

const { values: args } = parseArgs({
  options: {
    seconds: { type: 'string', default: '60' },
    rounds: { type: 'string', default: '3' },
    algs: { type: 'string' },
  },
});
const budgetSec = Number(args.seconds);
const rounds = Number(args.rounds);
if (!Number.isFinite(budgetSec) || budgetSec < 2 || !Number.isInteger(rounds) || rounds < 1) {
  throw new Error('--seconds must be at least 2 and --rounds a positive integer');
}
const allAlgorithms: readonly SigningAlgorithm[] = [
  'EdDSA',
  'ES256',
  'PS256',
  'RS256',
  'ML-DSA-44',
  'ML-DSA-65',
];
const algorithms = (args.algs?.split(',') ?? allAlgorithms) as SigningAlgorithm[];
for (const alg of algorithms) {
  if (!allAlgorithms.includes(alg)) throw new Error(`unknown algorithm ${alg}`);
}
const inFlight = 32;
const issuer = 'https://auth.bench.writ.test';
const audienceOf = (alg: SigningAlgorithm): string =>
  `https://${alg.toLowerCase()}.bench.writ.test`;

// ---------------------------------------------------------------------------------------------
// The service: one ring holding an active key per algorithm.

const dataDir = mkdtempSync(join(tmpdir(), 'writ-bench-keys-'));
const masterKey = randomBytes(32).toString('base64url');
const config = loadConfig({
  env: {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: '0',
    WRIT_ISSUER: issuer,
    WRIT_MASTER_KEY: masterKey,
    WRIT_SIGNING_ALGORITHMS: allAlgorithms.join(','),
    WRIT_AUDIENCE_ALGORITHMS: allAlgorithms.map((alg) => `${audienceOf(alg)}=${alg}`).join(','),
  },
  cwd: dataDir,
  warn: () => {},
});
const service: RunningService = await startService(config, { logger: false });

/** The claims of a first-party access token as the service writes them (sessions/). */
function accessTokenClaims(alg: SigningAlgorithm): Record<string, unknown> {
  const nowSec = Math.floor(Date.now() / 1000);
  return {
    iss: issuer,
    sub: `usr_${randomBytes(16).toString('base64url')}`,
    aud: audienceOf(alg),
    iat: nowSec,
    nbf: nowSec,
    exp: nowSec + 900,
    jti: randomBytes(16).toString('base64url'),
    sid: `ses_${randomBytes(16).toString('base64url')}`,
    scope: 'api',
    client_id: 'writ',
  };
}

interface Subject {
  readonly alg: SigningAlgorithm;
  readonly kid: string;
  readonly publicJwk: JWK;
  /** The active key's private half, opened from the store as the sealed custody opens it. */
  readonly privateKey: KeyObject;
  readonly signKey: KeyObject | SignKeyObjectInput;
  readonly verifyKey: KeyObject | VerifyKeyObjectInput;
  readonly digest: string | null;
  readonly claims: Record<string, unknown>;
  /** A token the ring signed: the floor signs and verifies its signing input. */
  readonly token: string;
  readonly signingInput: Buffer;
  readonly signature: Buffer;
}

const digestOf = (alg: SigningAlgorithm): string | null =>
  alg === 'EdDSA' || alg.startsWith('ML-DSA') ? null : 'sha256';

const active = await service.context.db.signingKeys.list(['active']);
const subjects: Subject[] = [];
for (const alg of algorithms) {
  const record = active.find((key) => key.alg === alg);
  if (record === undefined) throw new Error(`no active ${alg} key`);
  const privateJwk = JSON.parse(open(config.masterKey, record.sealedPrivateJwk, record.kid)) as JWK;
  const privateKey = createPrivateKey({ key: privateJwk as never, format: 'jwk' });
  const rsa =
    alg === 'PS256'
      ? { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 }
      : alg === 'RS256'
        ? { padding: constants.RSA_PKCS1_PADDING }
        : undefined;
  const ecdsa = alg === 'ES256' ? { dsaEncoding: 'ieee-p1363' as const } : undefined;
  const claims = accessTokenClaims(alg);
  const token = await service.context.signer.sign({ typ: 'at+jwt', claims });
  const [header, payload, encoded] = token.split('.') as [string, string, string];
  const publicJwk = JSON.parse(record.publicJwk) as JWK;
  if (JSON.parse(Buffer.from(header, 'base64url').toString()).alg !== alg) {
    throw new Error(`the ring did not sign ${audienceOf(alg)} with ${alg}`);
  }
  const publicKey = createPublicKey(privateKey);
  subjects.push({
    alg,
    kid: record.kid,
    publicJwk,
    privateKey,
    signKey:
      rsa !== undefined || ecdsa !== undefined ? { key: privateKey, ...rsa, ...ecdsa } : privateKey,
    verifyKey: rsa?.saltLength !== undefined ? { key: publicKey, ...rsa } : publicKey,
    digest: digestOf(alg),
    claims,
    token,
    signingInput: Buffer.from(`${header}.${payload}`, 'latin1'),
    signature: Buffer.from(encoded, 'base64url'),
  });
}

// ---------------------------------------------------------------------------------------------
// Cases

type Operation = 'sign' | 'verify';
type Side = 'writ' | 'floor';
type Mode = 'x1' | 'x32';

interface Case {
  readonly subject: Subject;
  readonly operation: Operation;
  readonly side: Side;
  readonly mode: Mode;
  /** One operation; its promise (if any) is awaited before the next one of the same lane. */
  readonly once: () => unknown;
}

function signCases(subject: Subject): Case[] {
  const request = { typ: 'at+jwt', claims: subject.claims };
  const ring = (): Promise<string> => service.context.signer.sign(request);
  const floorSync = (): Buffer => cryptoSign(subject.digest, subject.signingInput, subject.signKey);
  const floorThreadpool = (): Promise<Buffer> =>
    new Promise((resolve, reject) => {
      cryptoSign(subject.digest, subject.signingInput, subject.signKey, (error, signature) => {
        if (error) reject(error);
        else resolve(signature);
      });
    });
  return [
    { subject, operation: 'sign', side: 'writ', mode: 'x1', once: ring },
    { subject, operation: 'sign', side: 'floor', mode: 'x1', once: floorSync },
    { subject, operation: 'sign', side: 'writ', mode: 'x32', once: ring },
    { subject, operation: 'sign', side: 'floor', mode: 'x32', once: floorThreadpool },
  ];
}

function verifyCases(subject: Subject): Case[] {
  const verifier = createVerifier({
    issuer,
    audience: audienceOf(subject.alg),
    jwks: { keys: [subject.publicJwk] },
    algorithms: [subject.alg],
    // Every verify checks the signature: the cost a consumer pays for each new token.
    cacheSize: 0,
  });
  const signature = subject.alg === 'ES256' ? derFromP1363(subject.signature) : subject.signature;
  const floor = (): boolean => {
    if (!cryptoVerify(subject.digest, subject.signingInput, subject.verifyKey, signature)) {
      throw new Error(`${subject.alg}: the floor refused the ring's token`);
    }
    return true;
  };
  const writ = () => verifier.verify(subject.token);
  return [
    { subject, operation: 'verify', side: 'writ', mode: 'x1', once: writ },
    { subject, operation: 'verify', side: 'floor', mode: 'x1', once: floor },
    { subject, operation: 'verify', side: 'writ', mode: 'x32', once: writ },
    // Synchronous: 32 "in flight" are one after another; the same floor for both modes.
    { subject, operation: 'verify', side: 'floor', mode: 'x32', once: floor },
  ];
}

const cases = subjects.flatMap((subject) => [...signCases(subject), ...verifyCases(subject)]);

interface Sample {
  readonly opsPerSec: number;
  /** CPU this process spent per operation: main thread, threadpool and verify worker. */
  readonly cpuUsPerOp: number;
}

interface Run {
  readonly done: number;
  readonly ms: number;
  readonly cpuUs: number;
}

/** One case for `ms`: operations done, time taken, and this process's CPU meanwhile. */
async function runFor(c: Case, ms: number): Promise<Run> {
  const lanes = c.mode === 'x32' ? inFlight : 1;
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (performance.now() < end) {
        const result = c.once();
        if (result instanceof Promise) await result;
        done++;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return { done, ms: performance.now() - start, cpuUs: cpu.user + cpu.system };
}

/**
 * One round of a pair: Writ and its floor alternate in `slices` short slices (ABAB…, or BABA…),
 * each side's slices summed, so both see the same moments of a noisy neighbour.
 */
async function pairRound(pair: Pair, ms: number, floorFirst: boolean): Promise<[Sample, Sample]> {
  const slices = 4;
  const totals = new Map<Case, { done: number; ms: number; cpuUs: number }>([
    [pair.writ, { done: 0, ms: 0, cpuUs: 0 }],
    [pair.floor, { done: 0, ms: 0, cpuUs: 0 }],
  ]);
  for (let slice = 0; slice < slices; slice++) {
    const order =
      (slice % 2 === 0) !== floorFirst ? [pair.writ, pair.floor] : [pair.floor, pair.writ];
    for (const c of order) {
      const run = await runFor(c, ms / slices);
      const total = totals.get(c) as { done: number; ms: number; cpuUs: number };
      total.done += run.done;
      total.ms += run.ms;
      total.cpuUs += run.cpuUs;
    }
  }
  const sample = (c: Case): Sample => {
    const total = totals.get(c) as { done: number; ms: number; cpuUs: number };
    return { opsPerSec: total.done / (total.ms / 1000), cpuUsPerOp: total.cpuUs / total.done };
  };
  return [sample(pair.writ), sample(pair.floor)];
}

// ---------------------------------------------------------------------------------------------
// Run: a short warm-up per case, then the rounds, within the time budget. The unit is a pair
// (Writ and its floor in alternating slices, see pairRound), so each ratio compares two sides
// measured over the same second; pairs run in an order rotated from round to round.

interface Pair {
  readonly writ: Case;
  readonly floor: Case;
}
const pairs: Pair[] = cases
  .filter((c) => c.side === 'writ')
  .map((writ) => ({
    writ,
    floor: cases.find(
      (c) =>
        c.side === 'floor' &&
        c.subject === writ.subject &&
        c.operation === writ.operation &&
        c.mode === writ.mode,
    ) as Case,
  }));
const warmupMs = 40;
// 0.85: slices overrun their end by the operations still in flight (32 RSA or ML-DSA signatures).
const segmentMs = Math.max(
  20,
  Math.floor((budgetSec * 850 - cases.length * warmupMs) / (rounds * cases.length)),
);
const startedAt = performance.now();
for (const c of cases) await runFor(c, warmupMs);
const samples = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
for (let round = 0; round < rounds; round++) {
  const offset = (round * 5) % pairs.length;
  for (let i = 0; i < pairs.length; i++) {
    const pair = pairs[(i + offset) % pairs.length] as Pair;
    const [writ, floor] = await pairRound(pair, segmentMs, (round + i) % 2 === 1);
    samples.get(pair.writ)?.push(writ);
    samples.get(pair.floor)?.push(floor);
  }
}
const elapsedSec = (performance.now() - startedAt) / 1000;

// ---------------------------------------------------------------------------------------------
// Report

const samplesOf = (c: Case): Sample[] => samples.get(c) ?? [];
const rates = (list: readonly Sample[]): number[] => list.map((sample) => sample.opsPerSec);
const cpus = (list: readonly Sample[]): number[] => list.map((sample) => sample.cpuUsPerOp);
const cpuPerOp = (list: readonly Sample[]): number =>
  median(list.map((sample) => sample.cpuUsPerOp));
/** The per-round ratio Writ/floor, median over the rounds. */
const ratioOf = (writ: readonly number[], floor: readonly number[]): number =>
  median(writ.map((value, index) => value / (floor[index] ?? Number.NaN)));

console.log(
  `bench/keys/sign.ts: ${rounds} rounds of ${segmentMs} ms per case, ${elapsedSec.toFixed(0)} s; ` +
    `${availableParallelism()} cores, load average ${loadavg()
      .map((value) => value.toFixed(2))
      .join(' ')} (a shared machine: compare ratios, not absolutes)`,
);

function table(title: string, operation: Operation, floorOf: (mode: Mode) => string): void {
  console.log(`\n${title}`);
  console.log(
    `${padEnd('alg', 11)}${padEnd('mode', 6)}${padStart('Writ ops/s', 12)}${padStart('±%', 5)}` +
      `${padStart('floor ops/s', 13)}${padStart('±%', 5)}${padStart('Writ/floor', 12)}` +
      `${padStart('Writ cpu µs', 13)}${padStart('floor cpu µs', 14)}${padStart('by cpu', 9)}   floor`,
  );
  for (const pair of pairs.filter((p) => p.writ.operation === operation)) {
    const writ = samplesOf(pair.writ);
    const floor = samplesOf(pair.floor);
    console.log(
      `${padEnd(pair.writ.subject.alg, 11)}${padEnd(pair.writ.mode, 6)}` +
        `${padStart(formatRate(median(rates(writ))), 12)}${padStart(spreadPercent(rates(writ)).toFixed(0), 5)}` +
        `${padStart(formatRate(median(rates(floor))), 13)}${padStart(spreadPercent(rates(floor)).toFixed(0), 5)}` +
        `${padStart(formatRatio(ratioOf(rates(writ), rates(floor))), 12)}` +
        `${padStart(cpuPerOp(writ).toFixed(0), 13)}${padStart(cpuPerOp(floor).toFixed(0), 14)}` +
        `${padStart(formatRatio(ratioOf(cpus(floor), cpus(writ))), 9)}` +
        `   ${floorOf(pair.writ.mode)}`,
    );
  }
}

table(
  'Sign: the service key ring (sealed custody, threadpool) vs crypto.sign on the same key and input',
  'sign',
  (mode) => (mode === 'x1' ? 'crypto.sign, synchronous' : 'crypto.sign, threadpool, 32 in flight'),
);
table(
  'Verify: @writ/verify uncached (cacheSize 0) vs crypto.verify of the same token',
  'verify',
  () => 'crypto.verify, synchronous',
);

console.log(
  '\nSizes of a first-party access token (iss, sub, aud, iat, nbf, exp, jti, sid, scope, client_id)',
);
console.log(
  `${padEnd('alg', 11)}${padStart('token bytes', 13)}${padStart('signature', 11)}${padStart('vs EdDSA', 10)}${padStart('public JWK', 12)}`,
);
const edTokenBytes = subjects.find((s) => s.alg === 'EdDSA')?.token.length;
for (const subject of subjects) {
  const jwkBytes = JSON.stringify(subject.publicJwk).length;
  console.log(
    `${padEnd(subject.alg, 11)}${padStart(String(subject.token.length), 13)}${padStart(String(subject.signature.length), 11)}${padStart(edTokenBytes === undefined ? 'n/a' : formatRatio(subject.token.length / edTokenBytes), 10)}${padStart(String(jwkBytes), 12)}`,
  );
}

await service.close();
rmSync(dataDir, { recursive: true, force: true });
