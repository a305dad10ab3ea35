import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { listenOnLoopback } from '../../../../test/support/loopback.ts';
import type { AuthenticateOptions } from '../../src/http/authenticate.ts';
import { expressAuthenticate } from '../../src/http/express.ts';
import { writFastify } from '../../src/http/fastify.ts';
import { honoAuthenticate } from '../../src/http/hono.ts';
import { createNodeAuthenticator } from '../../src/http/node.ts';
import type { VerifiedToken, Verifier } from '../../src/index.ts';
import type { AdapterName, AdapterServer } from './adapter-servers.ts';

/**
 * An API whose every route is protected app-wide with `options` — `GET|POST /me` answer the
 * token's `sub` — so the RFC 9728 document is served by the adapter itself.
 */
type ProtectedServer = (verifier: Verifier, options: AuthenticateOptions) => Promise<AdapterServer>;

const me = (auth: VerifiedToken) => ({ sub: auth.claims.sub });

async function listening(handler: RequestListener): Promise<AdapterServer> {
  const listener = await listenOnLoopback(handler);
  return { baseUrl: listener.origin, close: listener.close };
}

const nodeServer: ProtectedServer = (verifier, options) => {
  const authenticate = createNodeAuthenticator(verifier, options);
  return listening(async (request, response) => {
    const auth = await authenticate(request, response);
    if (auth === undefined) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(me(auth)));
  });
};

const fastifyServer: ProtectedServer = async (verifier, options) => {
  const app = Fastify();
  await app.register(async (api) => {
    await api.register(writFastify, { verifier, ...options });
    api.get('/me', async (request) => me(request.auth));
    api.post('/me', async (request) => me(request.auth));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
};

const expressServer: ProtectedServer = (verifier, options) => {
  const app = express();
  app.use(expressAuthenticate(verifier, options));
  app.all('/me', (_request, response) => {
    response.json(me(response.locals.auth));
  });
  return listening(app);
};

const honoServer: ProtectedServer = (verifier, options) => {
  const app = new Hono<{ Variables: { auth: VerifiedToken } }>();
  app.use('*', honoAuthenticate(verifier, options));
  app.on(['GET', 'POST'], '/me', (c) => c.json(me(c.get('auth'))));
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
};

export const protectedServers: Record<AdapterName, ProtectedServer> = {
  'node:http': nodeServer,
  fastify: fastifyServer,
  express: expressServer,
  hono: honoServer,
};
