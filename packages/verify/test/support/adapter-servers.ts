import type { RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import express from 'express';
import Fastify from 'fastify';
import { Hono } from 'hono';
import { listenOnLoopback } from '../../../../test/support/loopback.ts';
import { expressAuthenticate } from '../../src/http/express.ts';
import { fastifyAuthenticate, writFastify } from '../../src/http/fastify.ts';
import { honoAuthenticate } from '../../src/http/hono.ts';
import { createNodeAuthenticator } from '../../src/http/node.ts';
import type { VerifiedToken, Verifier } from '../../src/index.ts';

/**
 * A running API with `GET /me` (any valid token), `GET /admin` (scope `admin`), and in cookie
 * mode `GET|POST /cookie/me`.
 */
export interface AdapterServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

export type AdapterName = 'node:http' | 'fastify' | 'express' | 'hono';

const me = (auth: VerifiedToken) => ({ sub: auth.claims.sub, scope: auth.claims.scope ?? '' });

async function listening(handler: RequestListener): Promise<AdapterServer> {
  const listener = await listenOnLoopback(handler);
  return { baseUrl: listener.origin, close: listener.close };
}

async function nodeServer(verifier: Verifier): Promise<AdapterServer> {
  const authenticateAny = createNodeAuthenticator(verifier);
  const authenticateAdmin = createNodeAuthenticator(verifier, { requiredScopes: ['admin'] });
  const authenticateCookie = createNodeAuthenticator(verifier, { cookie: {} });
  const byPath: Record<string, typeof authenticateAny> = {
    '/admin': authenticateAdmin,
    '/cookie/me': authenticateCookie,
  };
  return listening(async (request, response) => {
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    const auth = await (byPath[path] ?? authenticateAny)(request, response);
    if (auth === undefined) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(me(auth)));
  });
}

async function fastifyServer(verifier: Verifier): Promise<AdapterServer> {
  const app = Fastify();
  await app.register(async (api) => {
    await api.register(writFastify, { verifier });
    api.get('/me', async (request) => me(request.auth));
  });
  app.get(
    '/admin',
    { onRequest: fastifyAuthenticate(verifier, { requiredScopes: ['admin'] }) },
    async (request) => me(request.auth),
  );
  await app.register(async (browser) => {
    await browser.register(writFastify, { verifier, cookie: {} });
    browser.get('/cookie/me', async (request) => me(request.auth));
    browser.post('/cookie/me', async (request) => me(request.auth));
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function expressServer(verifier: Verifier): Promise<AdapterServer> {
  const app = express();
  app.get('/me', expressAuthenticate(verifier), (_request, response) => {
    response.json(me(response.locals.auth));
  });
  app.get(
    '/admin',
    expressAuthenticate(verifier, { requiredScopes: ['admin'] }),
    (_request, response) => {
      response.json(me(response.locals.auth));
    },
  );
  app.all('/cookie/me', expressAuthenticate(verifier, { cookie: {} }), (_request, response) => {
    response.json(me(response.locals.auth));
  });
  return listening(app);
}

async function honoServer(verifier: Verifier): Promise<AdapterServer> {
  const app = new Hono();
  app.get('/me', honoAuthenticate(verifier), (c) => c.json(me(c.get('auth'))));
  app.get('/admin', honoAuthenticate(verifier, { requiredScopes: ['admin'] }), (c) =>
    c.json(me(c.get('auth'))),
  );
  app.on(['GET', 'POST'], '/cookie/me', honoAuthenticate(verifier, { cookie: {} }), (c) =>
    c.json(me(c.get('auth'))),
  );
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info) => {
      resolve({
        baseUrl: `http://127.0.0.1:${info.port}`,
        close: () => new Promise((done) => server.close(() => done())),
      });
    });
  });
}

export const adapterServers: Record<AdapterName, (verifier: Verifier) => Promise<AdapterServer>> = {
  'node:http': nodeServer,
  fastify: fastifyServer,
  express: expressServer,
  hono: honoServer,
};
