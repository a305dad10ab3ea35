import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import Fastify from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../../../test/support/jwks-server.ts';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { listenOnLoopback } from '../../../test/support/loopback.ts';
import {
  createNodePhantomExchange,
  createPhantomTokenExchanger,
  expressPhantomExchange,
  fastifyPhantomExchange,
  type PhantomTokenExchanger,
  writPhantomFastify,
} from '../src/phantom/index.ts';
import { send } from './support/http-client.ts';
import { exchangerOptions } from './support/phantom-exchanger-options.ts';
import {
  activeAnswer,
  type IntrospectionServer,
  jwtAnswer,
  newOpaqueToken,
  signIntrospection,
  startIntrospectionServer,
} from './support/phantom-introspection-server.ts';
import { sign, validClaims } from './support/tokens.ts';

/**
 * Every adapter over real HTTP, in front of a route that echoes the `Authorization` it was handed
 * (parsed and raw): what a proxy mounted there would forward.
 */
interface EchoServer {
  readonly baseUrl: string;
  close(): Promise<void>;
}

type AdapterName = 'node:http' | 'fastify (plugin)' | 'fastify (preHandler)' | 'express';

const echoOf = (request: IncomingMessage) => ({
  authorization: request.headers.authorization,
  raw: request.rawHeaders.filter(
    (_, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === 'authorization',
  ),
});

async function nodeServer(exchanger: PhantomTokenExchanger): Promise<EchoServer> {
  const any = createNodePhantomExchange(exchanger);
  const admin = createNodePhantomExchange(exchanger, { requiredScopes: ['admin'] });
  const listener = await listenOnLoopback(async (request, response) => {
    const exchange = request.url?.startsWith('/admin') ? admin : any;
    if ((await exchange(request, response)) === undefined) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify(echoOf(request)));
  });
  return { baseUrl: listener.origin, close: listener.close };
}

async function fastifyServer(
  exchanger: PhantomTokenExchanger,
  hook: 'plugin' | 'preHandler',
): Promise<EchoServer> {
  const app = Fastify();
  if (hook === 'plugin') {
    await app.register(async (api) => {
      await api.register(writPhantomFastify, { exchanger });
      api.all('/*', async (request) => echoOf(request.raw));
    });
  } else {
    app.all('/*', { preHandler: fastifyPhantomExchange(exchanger) }, async (request) =>
      echoOf(request.raw),
    );
  }
  // Scope routes exist in both forms.
  app.get(
    '/admin',
    { onRequest: fastifyPhantomExchange(exchanger, { requiredScopes: ['admin'] }) },
    async (request) => echoOf(request.raw),
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}`, close: () => app.close() };
}

async function expressServer(exchanger: PhantomTokenExchanger): Promise<EchoServer> {
  const app = express();
  app.get(
    '/admin',
    expressPhantomExchange(exchanger, { requiredScopes: ['admin'] }),
    (req, res) => {
      res.json(echoOf(req));
    },
  );
  app.use(expressPhantomExchange(exchanger), (req, res) => {
    res.json(echoOf(req));
  });
  const listener = await listenOnLoopback(app);
  return { baseUrl: listener.origin, close: listener.close };
}

const adapters: Record<AdapterName, (exchanger: PhantomTokenExchanger) => Promise<EchoServer>> = {
  'node:http': nodeServer,
  'fastify (plugin)': (exchanger) => fastifyServer(exchanger, 'plugin'),
  'fastify (preHandler)': (exchanger) => fastifyServer(exchanger, 'preHandler'),
  express: expressServer,
};

let key: SigningKey;
let jwks: JwksServer;
let service: IntrospectionServer;
let exchanger: PhantomTokenExchanger;
const servers = new Map<AdapterName, EchoServer>();

beforeAll(async () => {
  key = await ed25519('svc-key-1');
  jwks = await startJwksServer({ body: { keys: [key.publicJwk] } });
  service = await startIntrospectionServer();
  exchanger = createPhantomTokenExchanger({
    ...exchangerOptions(service, jwks.url),
    introspection: { timeoutMs: 500 },
  });
  for (const [name, start] of Object.entries(adapters) as [AdapterName, typeof nodeServer][]) {
    servers.set(name, await start(exchanger));
  }
});

afterAll(async () => {
  for (const server of servers.values()) await server.close();
  await exchanger.close();
  await service.close();
  await jwks.close();
});

beforeEach(() => {
  service.answerWith(() => activeAnswer(key));
});

const names = Object.keys(adapters) as AdapterName[];
const base = (name: AdapterName): string => servers.get(name)?.baseUrl ?? '';

describe.each(names)('%s', (name) => {
  it('hands the route Bearer <at+jwt> in place of the opaque token, parsed and raw', async () => {
    const inner = await sign(key, validClaims());
    service.answerWith(() => activeAnswer(key, inner));
    const opaque = newOpaqueToken();
    const response = await send('GET', `${base(name)}/orders/7`, {
      authorization: `Bearer ${opaque}`,
    });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({
      authorization: `Bearer ${inner}`,
      raw: [`Bearer ${inner}`],
    });
    expect(response.body).not.toContain(opaque);
  });

  it('accepts the scheme in any case and extra spaces', async () => {
    const response = await send('GET', `${base(name)}/x`, {
      authorization: `bEaReR   ${newOpaqueToken()}  `,
    });
    expect(response.status).toBe(200);
  });

  it('answers 401 Bearer without a bearer token', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const response = await send('GET', `${base(name)}/x`, headers);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
      expect(JSON.parse(response.body)).toEqual({ error: 'unauthorized' });
    }
  });

  it('answers 400 for two Authorization headers or a token in the URL, without asking the service', async () => {
    const before = service.seen.length;
    const opaque = newOpaqueToken();
    const jwt = await sign(key, validClaims());
    const requests: [string, Record<string, string | string[]>][] = [
      ['/x', { authorization: [`Bearer ${opaque}`, `Bearer ${newOpaqueToken()}`] }],
      [`/x?access_token=${opaque}`, { authorization: `Bearer ${opaque}` }],
      [`/x?t=${opaque}`, { authorization: `Bearer ${opaque}` }],
      [
        `/x?t=${encodeURIComponent(opaque).replace('_', '%5F')}`,
        { authorization: `Bearer ${opaque}` },
      ],
      [`/x?t=${jwt}`, { authorization: `Bearer ${opaque}` }],
    ];
    for (const [path, headers] of requests) {
      const response = await send('GET', `${base(name)}${path}`, headers);
      expect(response.status, path).toBe(400);
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
    }
    expect(service.seen.length).toBe(before);
  });

  it('answers 403 insufficient_scope for a valid token lacking a required scope', async () => {
    const response = await send('GET', `${base(name)}/admin`, {
      authorization: `Bearer ${newOpaqueToken()}`,
    });
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="admin"',
    );
  });

  it('answers 503 temporarily_unavailable, not 401, when the service cannot be asked', async () => {
    service.answerWith(() => ({ status: 500, body: '' }));
    const response = await send('GET', `${base(name)}/x`, {
      authorization: `Bearer ${newOpaqueToken()}`,
    });
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.headers['cache-control']).toBe('no-store');
    expect(JSON.parse(response.body)).toEqual({ error: 'temporarily_unavailable' });
  });
});

describe('refusals', () => {
  /** The parts of a refusal that must never vary with the reason. */
  const fingerprint = (response: Awaited<ReturnType<typeof send>>) =>
    JSON.stringify([
      response.status,
      response.headers['www-authenticate'],
      response.headers['content-type'],
      response.headers['cache-control'],
      response.body,
    ]);

  it('are byte-identical whatever the reason and whichever the adapter, a JWT presented directly included', async () => {
    const jwt = await sign(key, validClaims());
    const foreign = await sign(key, validClaims({ aud: 'https://other.api' }));
    const inactive = async () => jwtAnswer(await signIntrospection(key, { active: false }));
    const misaddressed = async () =>
      jwtAnswer(
        await signIntrospection(key, { active: true, writ_access_token: jwt }, { aud: 'x' }),
      );
    const cases: [string, string | undefined, Parameters<IntrospectionServer['answerWith']>[0]][] =
      [
        ['a JWT instead of an opaque token', jwt, () => activeAnswer(key)],
        ['junk', 'not-a-token', () => activeAnswer(key)],
        ['an inactive token', undefined, inactive],
        ['a signed answer for another client', undefined, misaddressed],
        ['an access token for another API inside', undefined, () => activeAnswer(key, foreign)],
      ];
    const prints = new Set<string>();
    for (const adapter of names) {
      for (const [label, presented, answer] of cases) {
        service.answerWith(answer);
        const credential = presented ?? newOpaqueToken();
        const response = await send('GET', `${base(adapter)}/x`, {
          authorization: `Bearer ${credential}`,
        });
        expect(response.status, `${adapter}: ${label}`).toBe(401);
        expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
        prints.add(fingerprint(response));
      }
    }
    expect(prints.size).toBe(1);
  });
});
