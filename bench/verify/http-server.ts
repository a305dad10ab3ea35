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
import { createVerifier, type Verifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import { audience, issuer } from './fixtures.ts';

/** Parent → server. */
export type ServerCommand = { readonly type: 'cpu' } | { readonly type: 'close' };

/** Server → parent. */
export type ServerMessage =
  | { readonly type: 'listening'; readonly port: number }
  | { readonly type: 'cpu'; readonly usage: NodeJS.CpuUsage; readonly atMs: number }
  | { readonly type: 'key-set-error'; readonly message: string };

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

process.on('message', (command: ServerCommand) => {
  if (command.type === 'cpu') {
    send({ type: 'cpu', usage: process.cpuUsage(), atMs: performance.now() });
  } else {
    void app.close().then(() => process.disconnect());
  }
});
// The parent going away (even abruptly) ends this process too.
process.on('disconnect', () => {
  void app.close();
});
