/**
 * What `writFastify` adds to a request, without the network: Fastify's own routing driven
 * directly (`app.routing(req, res)`) with node:http request and response objects over a socket
 * that drops what is written. Kernel, HTTP parser and load generator are left out, so the
 * figures move far less with other processes on the machine than `http.ts`'s; they are a lower
 * bound of what the same code costs in a real server, where caches are colder between requests.
 *
 *   node_modules/.bin/node bench/verify/http-inprocess.ts               # 30 rounds of 3,000 per route
 *   node_modules/.bin/node bench/verify/http-inprocess.ts --rounds 60 --batch 5000
 *
 * Each round runs every route once, in alternating order; the report gives each route's median
 * µs per request (wall time, one thread) and the median of its per-round difference to the open
 * route receiving the same token. Routes:
 *
 * - `open, no token` / `open, token sent anyway`: no authentication;
 * - `empty onRequest hook`: a callback hook that only calls `done()` (what any hook costs);
 * - `hook setting Cache-Control`: the same, setting `cache-control: no-store` as `writFastify` does;
 * - `writFastify, cache hit`: the real plugin, default verifier, the token verified before.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Duplex } from 'node:stream';
import { parseArgs } from 'node:util';
import { createVerifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import Fastify from 'fastify';
import { audience, createFixture, issuer } from './fixtures.ts';
import { median, padEnd, padStart } from './stats.ts';

const { values: args } = parseArgs({
  options: { rounds: { type: 'string' }, batch: { type: 'string' } },
});
const rounds = Number(args.rounds ?? 30);
const batch = Number(args.batch ?? 3000);
if (!Number.isInteger(rounds) || rounds < 2 || !Number.isInteger(batch) || batch < 100) {
  throw new Error('--rounds must be an integer ≥ 2 and --batch ≥ 100');
}

const fixture = createFixture('EdDSA');
if (fixture.publicJwk === undefined) throw new Error('EdDSA fixture without a JWK');
const verifier = createVerifier({ issuer, audience, jwks: { keys: [fixture.publicJwk] } });
await verifier.verify(fixture.token);

const app = Fastify({ logger: false });
const fixed = { sub: 'usr_Qm9vdHN0cmFwcGVk', scope: 'openid profile read:orders write:orders' };
app.get('/open', async () => fixed);
app.register(async (api) => {
  api.addHook('onRequest', (_request, _reply, done) => done());
  api.get('/empty-hook', async () => fixed);
});
app.register(async (api) => {
  api.addHook('onRequest', (_request, reply, done) => {
    reply.header('cache-control', 'no-store');
    done();
  });
  api.get('/header-hook', async () => fixed);
});
app.register(async (api) => {
  await api.register(writFastify, { verifier });
  api.get('/me', async (request) => ({
    sub: request.auth.claims.sub,
    scope: request.auth.claims.scope,
  }));
});
await app.ready();

/** A connection that accepts every write and keeps nothing. */
class DroppingSocket extends Duplex {
  readonly remoteAddress = '127.0.0.1';
  readonly encrypted = false;
  override _read(): void {}
  override _write(_chunk: unknown, _encoding: BufferEncoding, callback: () => void): void {
    callback();
  }
  setTimeout(): this {
    return this;
  }
}
const socket = new DroppingSocket();
const authorization = `Bearer ${fixture.token}`;

/** One request, as node:http would hand it over: a fresh token string, headers as received. */
function request(path: string, withToken: boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = new IncomingMessage(socket as never);
    req.method = 'GET';
    req.url = path;
    req.httpVersion = '1.1';
    req.httpVersionMajor = 1;
    req.httpVersionMinor = 1;
    const raw = ['Host', '127.0.0.1:3000', 'User-Agent', 'autocannon/8'];
    if (withToken) raw.push('Authorization', Buffer.from(authorization).toString('latin1'));
    req.rawHeaders = raw;
    req.complete = true;
    req.push(null);
    const res = new ServerResponse(req);
    res.assignSocket(socket as never);
    res.on('finish', () => {
      res.detachSocket(socket as never);
      if (res.statusCode === 200) resolve();
      else reject(new Error(`${path}: ${res.statusCode}`));
    });
    app.routing(req, res);
  });
}

interface Route {
  readonly label: string;
  readonly path: string;
  readonly withToken: boolean;
  readonly usPerRequest: number[];
}
const route = (label: string, path: string, withToken: boolean): Route => ({
  label,
  path,
  withToken,
  usPerRequest: [],
});
const baseline = route('open, token sent anyway', '/open', true);
const routes: readonly Route[] = [
  route('open, no token', '/open', false),
  baseline,
  route('empty onRequest hook', '/empty-hook', true),
  route('hook setting Cache-Control', '/header-hook', true),
  route('writFastify, cache hit', '/me', true),
];

async function time(target: Route): Promise<number> {
  const start = performance.now();
  for (let i = 0; i < batch; i++) await request(target.path, target.withToken);
  return ((performance.now() - start) * 1000) / batch;
}

for (let warm = 0; warm < 3; warm++) for (const target of routes) await time(target);
for (let round = 0; round < rounds; round++) {
  for (const target of round % 2 === 0 ? routes : [...routes].reverse()) {
    target.usPerRequest.push(await time(target));
  }
}

console.log(
  `writFastify in process — Node ${process.version}; ${rounds} rounds of ${batch} requests per route, medians\n`,
);
console.log(`${padEnd('route', 30)} ${padStart('µs/req', 8)} ${padStart('Δ vs open+token', 16)}`);
for (const target of routes) {
  const delta = median(
    target.usPerRequest.map((value, index) => value - (baseline.usPerRequest[index] ?? Number.NaN)),
  );
  console.log(
    `${padEnd(target.label, 30)} ${padStart(median(target.usPerRequest).toFixed(2), 8)} ${padStart(
      `${delta >= 0 ? '+' : ''}${delta.toFixed(2)}`,
      16,
    )}`,
  );
}
await app.close();
