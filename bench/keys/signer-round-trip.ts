/**
 * The external signer's price: signatures per second and latency through the signer process
 * (`writ signer`, a separate process on a Unix socket, one authenticated connection) against
 * the same node:crypto signature made in this process (keys/node-signing.ts, the threadpool
 * call the sealed custody makes), for EdDSA and ES256, 1 and 32 signatures in flight.
 *
 * Rounds are interleaved (every case once per round, in turn) so a noisy neighbour hits both
 * sides alike; each round's ratio is taken within the round, and the medians are reported.
 *
 * "cpu us/op" is what this process (standing for the service) spends per signature, threadpool
 * included: through the signer the signature's own cost moves to the signer process.
 *
 *   node bench/keys/signer-round-trip.ts [--rounds 5] [--seconds 1]
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import type { JWK } from 'jose';
import { exportJWK, generateKeyPair } from 'jose';
import type {
  CustodyKey,
  KeyHandle,
  SigningAlgorithm,
} from '../../packages/server/src/keys/key-custody.ts';
import { createSignerProcessCustody } from '../../packages/server/src/keys/signer-process/signer-custody.ts';
import {
  openPrivateKey,
  type SignBytes,
} from '../../packages/server/src/keys/signer-process/signer-keys.ts';
import { median, padEnd, padStart, percentile } from '../verify/stats.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, seconds: { type: 'string', default: '1' } },
});
const rounds = Number(values.rounds);
const seconds = Number(values.seconds);
const algorithms: readonly SigningAlgorithm[] = ['EdDSA', 'ES256'];
const concurrencies = [1, 32] as const;

const root = resolve(import.meta.dirname, '../..');
const dir = mkdtempSync(join(tmpdir(), 'writ-bench-signer-'));
chmodSync(dir, 0o700);
const socketPath = join(dir, 'run', 'signer.sock');
const secretPath = join(dir, 'secret');
const secret = randomBytes(32);
writeFileSync(secretPath, secret, { mode: 0o600 });

const signer = spawn(process.execPath, [join(root, 'packages/server/src/cli/main.ts'), 'signer'], {
  cwd: dir,
  env: {
    ...process.env,
    WRIT_SIGNER_SOCKET: socketPath,
    WRIT_SIGNER_SECRET_FILE: secretPath,
    WRIT_SIGNER_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_SIGNER_DATA_DIR: join(dir, 'store'),
  },
  stdio: ['ignore', 'ignore', 'pipe'],
});
await new Promise<void>((done, fail) => {
  let output = '';
  signer.stderr.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.includes('listening')) done();
  });
  signer.once('exit', (code) => fail(new Error(`signer exited (${code}): ${output}`)));
});

const custody = createSignerProcessCustody({ socketPath, secret, callTimeoutMs: 5000 });

/** A first-party access token's signing input, about the size the service signs. */
function signingInputFor(alg: string, kid: string): Uint8Array {
  const header = Buffer.from(JSON.stringify({ alg, typ: 'at+jwt', kid })).toString('base64url');
  const payload = Buffer.from(
    JSON.stringify({
      iss: 'https://auth.example.com',
      sub: randomBytes(16).toString('base64url'),
      aud: 'writ:api',
      iat: 1_764_000_000,
      nbf: 1_764_000_000,
      exp: 1_764_000_900,
      jti: randomBytes(16).toString('base64url'),
      sid: randomBytes(16).toString('base64url'),
      scope: 'api',
      client_id: 'writ',
    }),
  ).toString('base64url');
  return new TextEncoder().encode(`${header}.${payload}`);
}

interface Case {
  readonly label: string;
  readonly alg: SigningAlgorithm;
  readonly inFlight: number;
  readonly side: 'signer process' | 'in process';
  readonly sign: (input: Uint8Array) => Promise<Uint8Array>;
  readonly input: Uint8Array;
}

const cases: Case[] = [];
for (const alg of algorithms) {
  const key: CustodyKey = await custody.create(alg);
  await custody.stateChanged(key, 'active');
  const handle: KeyHandle = await custody.open(key);
  const local = await generateKeyPair(alg, { extractable: true });
  const localSign: SignBytes = await openPrivateKey(
    alg,
    key.kid,
    (await exportJWK(local.privateKey)) as JWK,
  );
  for (const inFlight of concurrencies) {
    const input = signingInputFor(alg, key.kid);
    cases.push({
      label: `${alg} x${inFlight}`,
      alg,
      inFlight,
      side: 'signer process',
      sign: (i) => handle.sign(i),
      input,
    });
    cases.push({
      label: `${alg} x${inFlight}`,
      alg,
      inFlight,
      side: 'in process',
      sign: localSign,
      input,
    });
  }
}

interface Sample {
  readonly opsPerSec: number;
  readonly latenciesMs: number[];
  /** CPU this process (the service's side: main thread and threadpool) spent per signature. */
  readonly cpuUsPerOp: number;
}

async function run(c: Case): Promise<Sample> {
  const latenciesMs: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let done = 0;
  const cpuBefore = process.cpuUsage();
  const start = performance.now();
  await Promise.all(
    Array.from({ length: c.inFlight }, async () => {
      while (performance.now() < deadline) {
        const began = performance.now();
        await c.sign(c.input);
        latenciesMs.push(performance.now() - began);
        done += 1;
      }
    }),
  );
  const cpu = process.cpuUsage(cpuBefore);
  return {
    opsPerSec: done / ((performance.now() - start) / 1000),
    latenciesMs,
    cpuUsPerOp: (cpu.user + cpu.system) / done,
  };
}

// Warm-up: JIT, the connection, the threadpool.
for (const c of cases) await run({ ...c, inFlight: c.inFlight }).then(() => undefined);

const results = new Map<Case, Sample[]>(cases.map((c) => [c, []]));
for (let round = 0; round < rounds; round += 1) {
  for (const c of cases) results.get(c)?.push(await run(c));
}

console.log(
  `signer round trip: ${rounds} interleaved rounds of ${seconds} s per case; ${cpus().length} cores, load average ${loadavg()
    .map((value) => value.toFixed(1))
    .join(' ')} (a shared, busy machine: compare ratios, not absolutes)`,
);
console.log(
  `${padEnd('case', 12)}${padEnd('side', 16)}${padStart('ops/s', 10)}${padStart('p50 ms', 10)}${padStart('p99 ms', 10)}${padStart('cpu us/op', 11)}${padStart('signer/in-process', 20)}`,
);
for (const alg of algorithms) {
  for (const inFlight of concurrencies) {
    const [remote, local] = (['signer process', 'in process'] as const).map((side) =>
      cases.find((c) => c.alg === alg && c.inFlight === inFlight && c.side === side),
    ) as [Case, Case];
    const remoteSamples = results.get(remote) ?? [];
    const localSamples = results.get(local) ?? [];
    const ratio = median(
      remoteSamples.map(
        (sample, index) => sample.opsPerSec / (localSamples[index]?.opsPerSec ?? Number.NaN),
      ),
    );
    for (const [c, samples] of [
      [remote, remoteSamples],
      [local, localSamples],
    ] as const) {
      const latencies = samples.flatMap((sample) => sample.latenciesMs);
      console.log(
        `${padEnd(c.label, 12)}${padEnd(c.side, 16)}${padStart(median(samples.map((s) => s.opsPerSec)).toFixed(0), 10)}${padStart(percentile(latencies, 50).toFixed(3), 10)}${padStart(percentile(latencies, 99).toFixed(3), 10)}${padStart(median(samples.map((s) => s.cpuUsPerOp)).toFixed(1), 11)}${padStart(c === remote ? `${ratio.toFixed(2)}x` : '', 20)}`,
      );
    }
  }
}

await custody.close();
signer.kill('SIGTERM');
await new Promise((done) => signer.once('exit', done));
rmSync(dir, { recursive: true, force: true });
