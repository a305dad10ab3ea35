/**
 * The server half of the HTTP benchmark, run as a child process of `http.ts` (never on its own):
 * Fastify on 127.0.0.1 (random port) with
 *
 * - `GET /me`          protected by `writFastify`, default verifier (cache on)
 * - `GET /me-uncached` protected by `writFastify`, verifier with `cacheSize: 0`
 * - `GET /open/me`     no authentication, a fixed `{ sub, scope }` of the same shape
 *
 * Both verifiers take their keys from the JWKS the parent serves on loopback
 * (`WRIT_BENCH_JWKS_URI`). The parent talks to this process over the IPC channel only.
 */
import { Session } from 'node:inspector/promises';
import { createVerifier, type Verifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { audience, issuer } from './fixtures.ts';

/** Parent → server. */
export type ServerCommand =
  | { readonly type: 'cpu' }
  | { readonly type: 'profile-start' }
  | { readonly type: 'profile-stop' }
  | { readonly type: 'close' };

/** Where a CPU profile of this process put its samples, in µs of sampled time. */
export interface ProfileShares {
  readonly sampledUs: number;
  /** Everything but `(idle)`. */
  readonly busyUs: number;
  /** In @writ/verify's own functions, with the built-ins they call (see `attribute`). */
  readonly verifyUs: number;
  readonly garbageCollectorUs: number;
}

/** Server → parent. */
export type ServerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'cpu'; readonly usage: NodeJS.CpuUsage; readonly atMs: number }
  | { readonly type: 'key-set-error'; readonly message: string }
  | { readonly type: 'profile'; readonly shares: ProfileShares };

const send = (message: ServerMessage): void => {
  process.send?.(message);
};

const jwksUri = process.env.WRIT_BENCH_JWKS_URI;
if (jwksUri === undefined || process.send === undefined) {
  throw new Error('http-server.ts is started by bench/verify/http.ts, not on its own');
}

const onKeySetError = (error: unknown): void => {
  send({ type: 'key-set-error', message: String(error) });
};
const cached = createVerifier({ issuer, audience, jwksUri, onKeySetError });
const uncached = createVerifier({ issuer, audience, jwksUri, cacheSize: 0, onKeySetError });

function protectedRoute(app: FastifyInstance, path: string, verifier: Verifier): void {
  app.register(async (api) => {
    await api.register(writFastify, { verifier });
    api.get(path, async (request) => ({
      sub: request.auth.claims.sub,
      scope: request.auth.claims.scope,
    }));
  });
}

const app = Fastify({ logger: false });
protectedRoute(app, '/me', cached);
protectedRoute(app, '/me-uncached', uncached);
const fixed = { sub: 'usr_Qm9vdHN0cmFwcGVk', scope: 'openid profile read:orders write:orders' };
app.get('/open/me', async () => fixed);
app.register(async (api) => {
  // What any authentication hook costs before it checks anything: see http.ts's floor variant.
  api.addHook('onRequest', (request, reply, done) => {
    if (request.headers.authorization === undefined) reply.code(401);
    reply.header('cache-control', 'no-store');
    done();
  });
  api.get('/hook/me', async () => fixed);
});

await app.listen({ host: '127.0.0.1', port: 0 });
const address = app.server.address();
if (address === null || typeof address === 'string') throw new Error('no TCP address');
send({ type: 'listening', port: address.port });

// ---------------------------------------------------------------------------------------------
// A CPU profile on request: what share of the server's time @writ/verify's own code takes, a
// figure that moves far less with the VM's phases than a ratio of two runs' throughputs.

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string };
  readonly children?: readonly number[];
}
interface Profile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const verifySource = /\/packages\/verify\/src\/|\/node_modules\/@writ\/verify\//;

/**
 * Adds up a profile's samples. A sample whose leaf is a built-in (no URL: `Map.prototype.get`, a
 * regular expression) counts for the nearest caller that has one, so what @writ/verify's code
 * asks of the engine is its own; and only self time counts, since its hook calls Fastify's
 * `done()`, which runs the route, inside its own frame.
 */
function attribute(profile: Profile): ProfileShares {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node);
  }
  let sampledUs = 0;
  let idleUs = 0;
  let verifyUs = 0;
  let garbageCollectorUs = 0;
  profile.samples.forEach((id, index) => {
    const deltaUs = profile.timeDeltas[index] ?? 0;
    sampledUs += deltaUs;
    let node = byId.get(id);
    const name = node?.callFrame.functionName;
    if (name === '(idle)') idleUs += deltaUs;
    if (name === '(garbage collector)') garbageCollectorUs += deltaUs;
    if (name === '(idle)' || name === '(program)' || name === '(garbage collector)') return;
    while (node !== undefined && node.callFrame.url === '') node = parentOf.get(node.id);
    if (node !== undefined && verifySource.test(node.callFrame.url)) verifyUs += deltaUs;
  });
  return { sampledUs, busyUs: sampledUs - idleUs, verifyUs, garbageCollectorUs };
}

// Connected only for the profile, at the end: no run before it measures a server with an
// inspector session attached.
let inspector: Session | undefined;

process.on('message', (command: ServerCommand) => {
  if (command.type === 'cpu') {
    send({ type: 'cpu', usage: process.cpuUsage(), atMs: performance.now() });
  } else if (command.type === 'profile-start') {
    void (async () => {
      inspector = new Session();
      inspector.connect();
      await inspector.post('Profiler.enable');
      await inspector.post('Profiler.setSamplingInterval', { interval: 100 });
      await inspector.post('Profiler.start');
      send({ type: 'cpu', usage: process.cpuUsage(), atMs: performance.now() });
    })();
  } else if (command.type === 'profile-stop') {
    void (async () => {
      if (inspector === undefined) throw new Error('profile-stop before profile-start');
      const { profile } = await inspector.post('Profiler.stop');
      await inspector.post('Profiler.disable');
      inspector.disconnect();
      send({ type: 'profile', shares: attribute(profile as unknown as Profile) });
    })();
  } else {
    void app.close().then(() => process.disconnect());
  }
});
// The parent going away (even abruptly) ends this process too.
process.on('disconnect', () => {
  void app.close();
});
