import type { IncomingMessage } from 'node:http';
import { createVerifier, type Verifier } from '@writ/verify';
import { createNodeAuthenticator } from '@writ/verify/node';
import { createPhantomTokenExchanger } from '@writ/verify/phantom';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import {
  freePort,
  type LoopbackListener,
  listenOnLoopback,
} from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { startGateway } from '../src/gateway/start-gateway.ts';
import { type RunningProcess, startProcess } from './support/processes.ts';

/**
 * Phantom tokens end to end against the real token service: clients registered through the admin
 * API, an opaque token from client_credentials, `writ gateway` spawned as a process in front of
 * an upstream API that verifies what it receives with @writ/verify. Introspections are counted at
 * the service's own HTTP server.
 */
const api = 'https://api.writ.test';
const cli = 'packages/server/src/cli/main.ts';

interface Registered {
  readonly clientId: string;
  readonly secret: string;
}

interface UpstreamCall {
  readonly authorization: readonly string[];
  readonly raw: string;
  readonly clientId: unknown;
}

let service: TestService;
let adminKey: string;
/** Gets opaque access tokens for the API. */
let app: Registered;
/** Gets JWT access tokens for the same API. */
let jwtApp: Registered;
/** The gateway's own client: confidential, its audience the API, so it may introspect the API's tokens. */
let gatewayClient: Registered;
let upstream: LoopbackListener;
let upstreamVerifier: Verifier;
let gateway: RunningProcess;
let gatewayUrl: string;
const upstreamCalls: UpstreamCall[] = [];
let introspections = 0;

async function register(body: Record<string, unknown>): Promise<Registered> {
  const answer = await call(service.url, 'POST', '/admin/clients', {
    token: adminKey,
    body: {
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      scope: 'read',
      audiences: [api],
      ...body,
    },
  });
  expect(answer.status).toBe(201);
  return { clientId: String(answer.body.client_id), secret: String(answer.body.client_secret) };
}

const basic = (client: Registered): string =>
  `Basic ${Buffer.from(`${encodeURIComponent(client.clientId)}:${encodeURIComponent(client.secret)}`).toString('base64')}`;

async function form(path: string, client: Registered, params: Record<string, string>) {
  const response = await fetch(`${service.url}${path}`, {
    method: 'POST',
    headers: { authorization: basic(client), 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(params).toString(),
  });
  const text = await response.text();
  // RFC 7009 revocation answers 200 with an empty body.
  return {
    status: response.status,
    body: (text === '' ? {} : JSON.parse(text)) as Record<string, unknown>,
  };
}

async function accessToken(client: Registered): Promise<string> {
  const answer = await form('/oauth/token', client, { grant_type: 'client_credentials' });
  expect(answer.status).toBe(200);
  return String(answer.body.access_token);
}

const throughGateway = (token: string, base = gatewayUrl) =>
  fetch(`${base}/orders`, { headers: { authorization: `Bearer ${token}` } });

async function msUntilRefused(token: string, timeoutMs: number): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < timeoutMs) {
    const response = await throughGateway(token);
    await response.arrayBuffer();
    if (response.status === 401) return performance.now() - started;
    expect(response.status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('the gateway kept forwarding the token');
}

async function waitForOutput(process: RunningProcess, text: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!process.output().includes(text)) {
    if (Date.now() > deadline) throw new Error(`no "${text}" in: ${process.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  service = await startTestService({ WRIT_AUDIENCE: api, WRIT_REVOCATION_HEARTBEAT: '1' });
  service.app.server.on('request', (request: IncomingMessage) => {
    if (request.method === 'POST' && request.url === '/oauth/introspect') introspections++;
  });
  adminKey = await service.addKey('admin');
  app = await register({ client_name: 'phantom app', access_token_format: 'opaque' });
  jwtApp = await register({ client_name: 'jwt app' });
  gatewayClient = await register({ client_name: 'gateway' });
  const issuer = service.context.config.issuer;

  // The API behind the gateway trusts only JWTs it verifies itself.
  upstreamVerifier = createVerifier({
    issuer,
    audience: api,
    jwksUri: `${service.url}/.well-known/jwks.json`,
  });
  const authenticate = createNodeAuthenticator(upstreamVerifier);
  upstream = await listenOnLoopback(async (request, response) => {
    const auth = await authenticate(request, response);
    upstreamCalls.push({
      authorization: request.rawHeaders.filter(
        (_, i, all) => i % 2 === 1 && all[i - 1]?.toLowerCase() === 'authorization',
      ),
      raw: JSON.stringify([request.url, request.rawHeaders]),
      clientId: auth?.claims.client_id,
    });
    if (auth === undefined) return;
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(JSON.stringify({ client_id: auth.claims.client_id, aud: auth.claims.aud }));
  });

  const port = await freePort();
  gatewayUrl = `http://127.0.0.1:${port}`;
  gateway = startProcess(
    cli,
    [
      'gateway',
      '--listen',
      `127.0.0.1:${port}`,
      '--upstream',
      upstream.origin,
      '--issuer',
      issuer,
      '--client-id',
      gatewayClient.clientId,
      '--audience',
      api,
    ],
    {
      WRIT_GATEWAY_CLIENT_SECRET: gatewayClient.secret,
      WRIT_GATEWAY_CONSUMER_KEY: await service.addKey('consumer'),
    },
  );
  await waitForOutput(gateway, 'Writ gateway listening on');
}, 60_000);

afterEach(() => service.clock.reset());

afterAll(async () => {
  await gateway?.stop();
  await upstream?.close();
  await upstreamVerifier?.close();
  await service?.destroy();
});

describe('writ gateway in front of an API, against the token service', () => {
  it('forwards an opaque client_credentials token as its JWT, which the API verifies; the API never sees the opaque token', async () => {
    const opaque = await accessToken(app);
    expect(opaque).toMatch(/^wat_[A-Za-z0-9_-]{43}$/);
    const before = upstreamCalls.length;
    const response = await throughGateway(opaque);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ client_id: app.clientId, aud: api });
    const [seen] = upstreamCalls.slice(before);
    expect(seen?.authorization).toHaveLength(1);
    expect(seen?.authorization[0]).toMatch(/^Bearer eyJ/);
    expect(seen?.raw).not.toContain(opaque);
    expect(seen?.raw).not.toContain('wat_');
  });

  it('answers a repeated token from its cache: no second introspection at the service', async () => {
    const opaque = await accessToken(app);
    const before = introspections;
    for (let i = 0; i < 5; i++) expect((await throughGateway(opaque)).status).toBe(200);
    expect(introspections - before).toBe(1);
  });

  it('refuses a token revoked at /oauth/revoke within the mirror’s propagation, without asking the service again', async () => {
    const opaque = await accessToken(app);
    expect((await throughGateway(opaque)).status).toBe(200);
    const before = introspections;
    const revoked = await form('/oauth/revoke', app, { token: opaque });
    expect(revoked.status).toBe(200);
    const delay = await msUntilRefused(opaque, 3000);
    expect(delay).toBeLessThan(1500);
    // Refused from the cache entry by the mirror; the entry is then dropped, so one later
    // attempt asks the service, which says inactive.
    expect(introspections - before).toBeLessThanOrEqual(1);
    console.info(`revoke → refused at the gateway: ${delay.toFixed(0)} ms`);
  });

  it('refuses a token once it has expired', async () => {
    // Minted 28 s in the past with the 30 s minimum lifetime: it expires 2 s from now.
    service.clock.advance(-(service.context.config.accessTokenTtlSec - 2) * 1000);
    const opaque = await accessToken(app);
    service.clock.reset();
    expect((await throughGateway(opaque)).status).toBe(200);
    // Expires in about 2 s; the gateway's clock tolerance is 5 s.
    const delay = await msUntilRefused(opaque, 12_000);
    expect(delay).toBeGreaterThan(500);
  }, 20_000);

  it('refuses unknown and forged opaque tokens with 401 invalid_token, and the API is never called', async () => {
    const before = upstreamCalls.length;
    const real = await accessToken(app);
    const forged = [
      `wat_${'A'.repeat(43)}`,
      `${real.slice(0, -2)}${real.endsWith('AA') ? 'Ag' : 'AA'}`,
      'wat_short',
    ];
    for (const token of forged) {
      const response = await throughGateway(token);
      expect(response.status).toBe(401);
      expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
    }
    expect(upstreamCalls.length).toBe(before);
  });

  it('refuses a JWT presented directly, though the API itself would accept it', async () => {
    const jwt = await accessToken(jwtApp);
    expect(jwt).toMatch(/^eyJ/);
    await upstreamVerifier.verify(jwt); // valid for the API
    const before = upstreamCalls.length;
    const response = await throughGateway(jwt);
    expect(response.status).toBe(401);
    expect(upstreamCalls.length).toBe(before);
  });

  it('never writes a token to its output', async () => {
    const opaque = await accessToken(app);
    await throughGateway(opaque);
    await throughGateway(`wat_${'B'.repeat(43)}`);
    expect(gateway.output()).not.toMatch(/wat_|eyJ/);
    expect(gateway.output()).not.toContain(gatewayClient.secret);
  });
});

describe('a gateway the service will not answer', () => {
  it('answers 503 when its client secret is wrong, and 401 when its client may not see the API’s tokens', async () => {
    const opaque = await accessToken(app);
    const elsewhere = await register({
      client_name: 'other gateway',
      audiences: ['https://other.writ.test'],
    });
    const cases: [Registered, number][] = [
      [{ clientId: gatewayClient.clientId, secret: 'not the secret' }, 503],
      [elsewhere, 401],
    ];
    for (const [client, status] of cases) {
      const running = await startGateway({
        exchanger: createPhantomTokenExchanger({
          introspectionEndpoint: `${service.url}/oauth/introspect`,
          clientId: client.clientId,
          clientSecret: client.secret,
          issuer: service.context.config.issuer,
          audience: api,
          jwksUri: `${service.url}/.well-known/jwks.json`,
        }),
        upstream: new URL(upstream.origin),
        host: '127.0.0.1',
        port: 0,
      });
      try {
        expect((await throughGateway(opaque, running.url)).status).toBe(status);
      } finally {
        await running.close(100);
      }
    }
  });
});
