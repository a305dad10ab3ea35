/**
 * HTTP overhead of `writFastify`: requests/s of a protected `GET /me` against the same route
 * without authentication, both on one Fastify server in a child process, loaded by autocannon
 * from this process over loopback (two processes for two cores).
 *
 *   node_modules/.bin/node bench/verify/http.ts            # 5 rounds of 4 s runs + 24 sets (~4 min)
 *   node_modules/.bin/node bench/verify/http.ts --rounds 9 --seconds 3
 *   node_modules/.bin/node bench/verify/http.ts --quick    # 1 round of 2 s runs, 4 pairs
 *
 * Each round runs every variant once, in a rotated order, each after a discarded 1 s warm-up;
 * medians are reported. Then the target's sets of 1 s runs back to back, and last a CPU profile of
 * the server under `GET /me` load: the share of its busy time spent in @writ/verify's own code,
 * which this VM's changes of speed (that move a ratio of two runs by ±10%) barely move. The exit
 * code is 0 whatever the target says.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import autocannon, { type AutocannonResult } from 'autocannon';
import { foreignCores, markLoad, waitForQuiet } from './contention.ts';
import { createFixture } from './fixtures.ts';
import type { ProfileShares, ServerCommand, ServerMessage } from './http-server.ts';
import { formatRate, formatRatio, median, padEnd, padStart, quantile, verdict } from './stats.ts';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    rounds: { type: 'string' },
    seconds: { type: 'string' },
    pairs: { type: 'string' },
  },
});
const quick = args.quick === true;
const rounds = Number(args.rounds ?? (quick ? 1 : 5));
const durationSec = Number(args.seconds ?? (quick ? 2 : 4));
if (!Number.isInteger(rounds) || rounds < 1 || !Number.isInteger(durationSec) || durationSec < 1) {
  throw new Error('--rounds and --seconds must be positive integers');
}
const pairs = Number(args.pairs ?? (quick ? 4 : 24));
const pairSec = 1;
if (!Number.isInteger(pairs) || pairs < 2) throw new Error('--pairs must be an integer ≥ 2');
const warmupSec = 1;
const connections = 32;

// ---------------------------------------------------------------------------------------------
// The issuer side: one EdDSA key, published as a JWKS on loopback.

const fixture = createFixture('EdDSA');
if (fixture.publicJwk === undefined) throw new Error('EdDSA fixture without a JWK');
const jwksBody = JSON.stringify({ keys: [fixture.publicJwk] });
let jwksFetches = 0;
const jwksServer: Server = createServer((request, response) => {
  if (request.url !== '/jwks') {
    response.writeHead(404).end();
    return;
  }
  jwksFetches++;
  response.writeHead(200, {
    'content-type': 'application/jwk-set+json',
    'cache-control': 'public, max-age=600',
  });
  response.end(jwksBody);
});
jwksServer.listen(0, '127.0.0.1');
await once(jwksServer, 'listening');
const jwksUri = `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`;

// ---------------------------------------------------------------------------------------------
// The resource server, in its own process.

const child: ChildProcess = fork(new URL('./http-server.ts', import.meta.url), [], {
  execPath: process.execPath,
  env: { ...process.env, WRIT_BENCH_JWKS_URI: jwksUri },
  stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
});
const waiting: Array<(message: ServerMessage) => void> = [];
child.on('message', (message: ServerMessage) => {
  if (message.type === 'key-set-error') {
    console.error(`server: key set error: ${message.message}`);
    return;
  }
  waiting.shift()?.(message);
});
const nextMessage = (): Promise<ServerMessage> =>
  new Promise((resolve) => {
    waiting.push(resolve);
  });
const command = (message: ServerCommand): void => {
  child.send(message);
};

const listening = await nextMessage();
if (listening.type !== 'listening') throw new Error('server did not start');
const base = `http://127.0.0.1:${listening.port}`;

async function serverCpu(): Promise<{ usedUs: number; atMs: number }> {
  const reply = nextMessage();
  command({ type: 'cpu' });
  const message = await reply;
  if (message.type !== 'cpu') throw new Error('unexpected message from server');
  return { usedUs: message.usage.user + message.usage.system, atMs: message.atMs };
}

// ---------------------------------------------------------------------------------------------
// Before any load: every route answers as it should, so no run measures fast refusals.

const authorization = `Bearer ${fixture.token}`;
const claims = JSON.parse(
  Buffer.from(fixture.token.split('.')[1] ?? '', 'base64url').toString('utf8'),
) as { sub: string; scope: string };

async function expectStatus(
  path: string,
  token: string | undefined,
  status: number,
): Promise<void> {
  const response = await fetch(`${base}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
  const body = (await response.json()) as Record<string, unknown>;
  if (response.status !== status) {
    throw new Error(`${path}: expected ${status}, got ${response.status} ${JSON.stringify(body)}`);
  }
  if (status === 200 && path !== '/open/me' && body.sub !== claims.sub) {
    throw new Error(`${path}: wrong body ${JSON.stringify(body)}`);
  }
}
await expectStatus('/me', fixture.token, 200);
await expectStatus('/me-uncached', fixture.token, 200);
await expectStatus('/open/me', undefined, 200);
await expectStatus('/me', undefined, 401);
await expectStatus('/me', fixture.forged, 401);
await expectStatus('/me-uncached', fixture.forged, 401);

// ---------------------------------------------------------------------------------------------
// Load

interface Variant {
  readonly id: 'cached' | 'open' | 'openWithToken' | 'uncached' | 'floorHook';
  readonly label: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly rates: number[];
  readonly p50: number[];
  readonly p99: number[];
  readonly serverCpu: number[];
  readonly benchCpu: number[];
  readonly foreign: number[];
  /** Server CPU time per request (µs): robust against neighbours when the server is the bottleneck. */
  readonly cpuPerRequest: number[];
}

const variant = (id: Variant['id'], label: string, path: string, auth: boolean): Variant => ({
  id,
  label,
  path,
  headers: auth ? { authorization } : {},
  rates: [],
  p50: [],
  p99: [],
  serverCpu: [],
  benchCpu: [],
  foreign: [],
  cpuPerRequest: [],
});
const variants: readonly Variant[] = [
  variant('cached', 'GET /me, writFastify (cache on, default)', '/me', true),
  variant('open', 'GET /open/me, no auth', '/open/me', false),
  variant('uncached', 'GET /me-uncached, writFastify (cacheSize 0)', '/me-uncached', true),
  // The same open route, but the client sends the token anyway: separates what carrying a
  // ~560-byte header costs the server from what checking it costs.
  variant('openWithToken', 'GET /open/me, no auth, token sent anyway', '/open/me', true),
  // The floor of any authentication hook in Fastify: an onRequest hook that reads Authorization
  // and sets Cache-Control: no-store on the answer, and checks nothing.
  variant('floorHook', 'GET /hook/me, a hook that checks nothing', '/hook/me', true),
];

const byId = (id: Variant['id']): Variant => variants.find((v) => v.id === id)!;

async function load(target: Variant, seconds: number): Promise<AutocannonResult> {
  const result = await autocannon({
    url: `${base}${target.path}`,
    connections,
    duration: seconds,
    headers: target.headers,
  });
  if (result.errors > 0 || result.timeouts > 0 || result.non2xx > 0) {
    throw new Error(
      `${target.path}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx`,
    );
  }
  return result;
}

console.log(
  `writFastify HTTP benchmark — Node ${process.version}, ${availableParallelism()} cores; ` +
    `Fastify server in a child process, autocannon in this one; EdDSA token; ${connections} ` +
    `connections; ${rounds} round(s) of ${durationSec} s per variant after a ${warmupSec} s warm-up.`,
);
/** The closing profile's load (see below). */
const profileSec = quick ? 2 : 4;
const totalSec =
  rounds * variants.length * (durationSec + warmupSec) + pairs * 4 * pairSec + profileSec;
console.log(`about ${totalSec} s.\n`);

// With-auth and no-auth always run back to back (their ratio is the target), in alternating order.
const orders: ReadonlyArray<readonly Variant['id'][]> = [
  ['cached', 'open', 'openWithToken', 'floorHook', 'uncached'],
  ['uncached', 'floorHook', 'openWithToken', 'open', 'cached'],
  ['open', 'cached', 'uncached', 'openWithToken', 'floorHook'],
];
interface Measurement {
  readonly result: AutocannonResult;
  readonly rate: number;
  readonly serverUsedUs: number;
  readonly serverElapsedMs: number;
  readonly foreign: number;
}

async function measure(target: Variant, seconds: number): Promise<Measurement> {
  const serverBefore = await serverCpu();
  const loadMark = markLoad();
  const result = await load(target, seconds);
  const serverAfter = await serverCpu();
  const serverUsedUs = serverAfter.usedUs - serverBefore.usedUs;
  return {
    result,
    rate: result['2xx'] / result.duration,
    serverUsedUs,
    serverElapsedMs: serverAfter.atMs - serverBefore.atMs,
    foreign: foreignCores(loadMark, serverUsedUs),
  };
}

for (let round = 0; round < rounds; round++) {
  for (const id of orders[round % orders.length]!) {
    const target = variants.find((v) => v.id === id)!;
    await waitForQuiet(0.25, 3000);
    await load(target, warmupSec);
    const benchBefore = process.cpuUsage();
    const benchStartMs = performance.now();
    const { result, rate, serverUsedUs, serverElapsedMs, foreign } = await measure(
      target,
      durationSec,
    );
    const benchUsed = process.cpuUsage(benchBefore);
    const benchElapsedMs = performance.now() - benchStartMs;
    target.foreign.push(foreign);
    target.cpuPerRequest.push(serverUsedUs / result['2xx']);
    target.rates.push(rate);
    target.p50.push(result.latency.p50);
    target.p99.push(result.latency.p99);
    target.serverCpu.push(serverUsedUs / 10 / serverElapsedMs);
    target.benchCpu.push((benchUsed.user + benchUsed.system) / 10 / benchElapsedMs);
    console.log(
      `round ${round + 1}: ${padEnd(target.label, 46)} ${padStart(formatRate(rate), 7)} req/s, ` +
        `server ${(serverUsedUs / result['2xx']).toFixed(0)} µs CPU/req, foreign load ` +
        `${(foreign * 100).toFixed(0)}% of a core`,
    );
  }
}

// The target's own measurement: short runs of with-auth and no-auth back to back, in alternating
// order, the ratio taken per pair. This VM's speed drifts by up to half between phases lasting
// seconds, so runs seconds apart can land in different phases; a pair one second apart rarely
// does, and the median over many pairs drops the ones that straddle a change.
const pairRatios: number[] = [];
const pairCpuRatios: number[] = [];
// The bound's pairs, measured in the same sets: what carrying the token costs the open route,
// and what a hook that checks nothing costs, against no-auth.
const boundRatios = {
  openWithToken: [] as number[],
  floorHook: [] as number[],
  /** writFastify against the hook that checks nothing, in the same set. */
  overFloorHook: [] as number[],
};
console.log(`
${pairs} sets of ${pairSec} s runs back to back (GET /me, GET /open/me, and the bound's two), order alternating:`);
const perRequestUs = (m: Measurement): number => m.serverUsedUs / m.result['2xx'];
for (let pair = 0; pair < pairs; pair++) {
  await waitForQuiet(0.25, 3000);
  const set: Variant['id'][] = ['cached', 'open', 'openWithToken', 'floorHook'];
  if (pair % 2 === 1) set.reverse();
  const measured = new Map<Variant['id'], Measurement>();
  for (const id of set) measured.set(id, await measure(byId(id), pairSec));
  const noAuth = measured.get('open')!;
  const withAuth = measured.get('cached')!;
  pairRatios.push(withAuth.rate / noAuth.rate);
  pairCpuRatios.push(perRequestUs(noAuth) / perRequestUs(withAuth));
  boundRatios.openWithToken.push(measured.get('openWithToken')!.rate / noAuth.rate);
  boundRatios.floorHook.push(measured.get('floorHook')!.rate / noAuth.rate);
  boundRatios.overFloorHook.push(withAuth.rate / measured.get('floorHook')!.rate);
}
console.log(
  `  req/s ratios: ${[...pairRatios]
    .sort((x, y) => x - y)
    .map((r) => r.toFixed(2))
    .join(' ')}`,
);

// The profile: GET /me under the same load, the server sampling itself (every 100 µs). Its
// figure is a share of the server's own time, so a change of the VM's phase moves it little.
await waitForQuiet(0.25, 3000);
const profileStarted = nextMessage();
command({ type: 'profile-start' });
await profileStarted;
const profiled = await load(byId('cached'), profileSec);
const profileReply = nextMessage();
command({ type: 'profile-stop' });
const profileMessage = await profileReply;
if (profileMessage.type !== 'profile') throw new Error('unexpected message from server');
const shares: ProfileShares = profileMessage.shares;
const profiledRequests = profiled['2xx'];

// ---------------------------------------------------------------------------------------------
// Report

const widths = [46, 8, 9, 7, 7, 8, 10, 10, 8] as const;
const row = (cells: readonly string[]): string =>
  cells
    .map((cell, index) =>
      index === 0 ? padEnd(cell, widths[0]) : padStart(cell, widths[index] ?? 8),
    )
    .join(' ');
// Each round's with-auth run against that round's no-auth run (back to back), then the median.
const pairedRatio = (id: Variant['id']): number =>
  median(byId(id).rates.map((rate, round) => rate / (byId('open').rates[round] ?? Number.NaN)));

console.log(`\nmedian of ${rounds} run(s) of ${durationSec} s, ${connections} connections`);
console.log(
  row([
    'variant',
    'req/s',
    '×no-auth',
    'p50 ms',
    'p99 ms',
    'µs/req',
    'server CPU',
    'bench CPU',
    'foreign',
  ]),
);
for (const target of variants) {
  const rate = median(target.rates);
  console.log(
    row([
      target.label,
      formatRate(rate),
      formatRatio(pairedRatio(target.id)),
      median(target.p50).toFixed(1),
      median(target.p99).toFixed(1),
      median(target.cpuPerRequest).toFixed(0),
      `${median(target.serverCpu).toFixed(0)}%`,
      `${median(target.benchCpu).toFixed(0)}%`,
      `${(median(target.foreign) * 100).toFixed(0)}%`,
    ]),
  );
}
console.log(
  'µs/req: server CPU time per request; server CPU: user+system time of the server process ' +
    '(all its threads) over the run, as % of one core; bench CPU: the same for the autocannon process; foreign: CPU other processes on ' +
    'the machine used meanwhile (each run waits up to 3 s for them to drop below 25% of a core).',
);
console.log(`JWKS downloads by the server: ${jwksFetches}`);

const ratio = median(pairRatios);
const floorHookRatio = median(boundRatios.floorHook);
console.log(
  `\nTarget (${pairs} back-to-back pairs of ${pairSec} s runs, ratio per pair, then the median)`,
);
console.log(
  `${verdict(ratio >= 0.9)}  with auth (cached) ≥ 0.9× no auth: ${formatRatio(ratio)} ` +
    `(interquartile ${formatRatio(quantile(pairRatios, 0.25))}–${formatRatio(quantile(pairRatios, 0.75))})` +
    (ratio < 0.9 && floorHookRatio < 0.9
      ? `; beyond this run's bound: a hook that checks nothing got ${formatRatio(floorHookRatio)}`
      : ''),
);
console.log(
  `info  same ratio from server CPU per request, per pair: ${formatRatio(median(pairCpuRatios))}`,
);
console.log(
  `info  the same ratio from the ${rounds} rounds above (runs up to 10 s apart): ${formatRatio(pairedRatio('cached'))}`,
);
console.log(`info  with auth (cacheSize 0): ${formatRatio(pairedRatio('uncached'))} of no-auth`);
const checkingRatio =
  median(byId('openWithToken').cpuPerRequest) / median(byId('cached').cpuPerRequest);
console.log(
  `info  with auth (cached) vs the open route receiving the same token: ${formatRatio(checkingRatio)} by server CPU per request (the cost of checking, not of carrying, the token)`,
);
console.log(
  `info  bound, in the same sets: the open route receiving the token (nothing checked) ${formatRatio(median(boundRatios.openWithToken))} of no-auth; with a hook that checks nothing (reads Authorization, sets Cache-Control) ${formatRatio(floorHookRatio)}: no authentication hook can do better than the latter`,
);
console.log(
  `info  writFastify (cached) / the hook that checks nothing, per set: ${formatRatio(median(boundRatios.overFloorHook))} (interquartile ${formatRatio(quantile(boundRatios.overFloorHook, 0.25))}–${formatRatio(quantile(boundRatios.overFloorHook, 0.75))})`,
);

const verifyShare = shares.verifyUs / shares.busyUs;
console.log(
  `info  profile of the server under GET /me load (${profileSec} s, ${formatRate(profiledRequests / profileSec)} req/s): ` +
    `@writ/verify's own code ${(shares.verifyUs / profiledRequests).toFixed(2)} µs per request, ` +
    `${(verifyShare * 100).toFixed(1)}% of the server's busy time (${(shares.busyUs / profiledRequests).toFixed(1)} µs per request; ` +
    `garbage collection ${((shares.garbageCollectorUs / shares.busyUs) * 100).toFixed(1)}%, for all code): ` +
    `checking a cached token leaves the route ${formatRatio(1 - verifyShare)} of the throughput of the hook that ` +
    'checks nothing; the rest of any gap to no-auth is what every Fastify hook costs (the bound above)',
);

command({ type: 'close' });
await once(child, 'exit');
jwksServer.close();
