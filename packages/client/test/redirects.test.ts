import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { createWritClient, WritClientError } from '../src/index.ts';
import { cookieJarFetch } from './support/cookie-jar-fetch.ts';

/**
 * Two real listeners: the app's origin (the token service behind a small front that also serves
 * redirecting API routes) and another origin that records everything it receives. Whatever the
 * other origin records is what a redirect would have leaked.
 */
interface Received {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

let service: TestService;
let front: LoopbackListener;
let elsewhere: LoopbackListener;
let appOrigin: string;
let elsewhereOrigin: string;
const received: Received[] = [];
/** `/auth/…` paths the front answers with a 307 to the other origin instead of the service. */
const redirectedAuthPaths = new Set<string>();
const password = 'redirect test password 7f3a';
let users = 0;

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

function redirect(response: ServerResponse, status: number, location: string) {
  response.writeHead(status, { location }).end();
}

async function frontHandler(request: IncomingMessage, response: ServerResponse) {
  const path = request.url ?? '/';
  const body = await readBody(request);
  if (path.startsWith('/auth/')) {
    if (redirectedAuthPaths.has(path)) return redirect(response, 307, `${elsewhereOrigin}${path}`);
    const headers = new Headers();
    for (const [name, value] of Object.entries(request.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') {
        headers.set(name, value);
      }
    }
    const answer = await fetch(`${service.url}${path}`, {
      method: request.method ?? 'GET',
      headers,
      ...(body === '' ? {} : { body }),
      redirect: 'manual',
    });
    const out: Record<string, string | string[]> = {};
    answer.headers.forEach((value, name) => {
      if (name !== 'set-cookie' && name !== 'content-length' && name !== 'transfer-encoding') {
        out[name] = value;
      }
    });
    const cookies = answer.headers.getSetCookie();
    if (cookies.length > 0) out['set-cookie'] = cookies;
    response.writeHead(answer.status, out).end(Buffer.from(await answer.arrayBuffer()));
    return;
  }
  switch (path) {
    case '/api/to-elsewhere':
      return redirect(response, 307, `${elsewhereOrigin}/landing`);
    case '/api/to-elsewhere-303':
      return redirect(response, 303, `${elsewhereOrigin}/landing`);
    case '/api/via-same-origin':
      return redirect(response, 307, '/api/to-elsewhere');
    case '/api/to-same-origin':
      return redirect(response, 307, '/api/echo');
    case '/api/echo':
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          method: request.method,
          authorization: request.headers.authorization ?? null,
          csrf: request.headers['x-csrf-token'] ?? null,
          body,
        }),
      );
      return;
    default:
      response.writeHead(404).end();
  }
}

beforeAll(async () => {
  service = await startTestService();
  elsewhere = await listenOnLoopback(async (request, response) => {
    received.push({
      path: request.url ?? '/',
      headers: request.headers,
      body: await readBody(request),
    });
    response.writeHead(200, { 'content-type': 'text/plain' }).end('elsewhere');
  });
  front = await listenOnLoopback((request, response) => {
    frontHandler(request, response).catch(() => response.writeHead(502).end());
  });
  appOrigin = front.origin;
  elsewhereOrigin = elsewhere.origin;
});
afterAll(async () => {
  await front.close();
  await elsewhere.close();
  await service.destroy();
});

async function newUser(): Promise<string> {
  users += 1;
  const email = `redirect-${users}-${Date.now()}@example.com`;
  await service.addUser(email, password);
  return email;
}

/** Nothing that reached the other origin carried a credential or a secret. */
function expectNothingLeaked(secrets: readonly string[]) {
  for (const request of received) {
    expect(request.headers.authorization).toBeUndefined();
    expect(request.headers['x-csrf-token']).toBeUndefined();
    expect(request.headers.cookie).toBeUndefined();
    const everything = JSON.stringify(request);
    for (const secret of secrets) expect(everything).not.toContain(secret);
  }
}

async function cookieClient() {
  const jar = cookieJarFetch();
  const client = createWritClient({ issuer: appOrigin, mode: 'cookie', fetch: jar.fetch });
  await client.signIn(await newUser(), password);
  return { client, jar };
}

async function csrfOf(client: ReturnType<typeof createWritClient>): Promise<string> {
  const echo = await client.fetch('/api/echo', { method: 'POST', body: 'x' });
  const { csrf } = (await echo.json()) as { csrf: string };
  expect(csrf).toMatch(/.{16,}/);
  return csrf;
}

describe('authorized fetch and redirects', () => {
  it('does not carry X-CSRF-Token along a redirect to another origin; the caller gets the redirect', async () => {
    const { client } = await cookieClient();
    const csrf = await csrfOf(client);
    received.length = 0;
    const response = await client.fetch('/api/to-elsewhere', { method: 'POST', body: 'note' });
    expect(response.status).toBe(307);
    expect(response.headers.get('location')).toBe(`${elsewhereOrigin}/landing`);
    expect(received).toEqual([]);
    expectNothingLeaked([csrf]);
  });

  it('does not follow a same-origin redirect on to another origin with the credentials', async () => {
    const { client } = await cookieClient();
    const csrf = await csrfOf(client);
    received.length = 0;
    const response = await client.fetch('/api/via-same-origin', { method: 'PUT', body: 'note' });
    expect(response.status).toBe(307);
    expect(received).toEqual([]);
    expectNothingLeaked([csrf]);
  });

  it('does not carry Authorization along a redirect to another origin in body mode', async () => {
    const client = createWritClient({ issuer: appOrigin, mode: 'body' });
    await client.signIn(await newUser(), password);
    received.length = 0;
    const response = await client.fetch('/api/to-elsewhere-303', { method: 'POST', body: 'q' });
    expect(response.status).toBe(303);
    expect(received).toEqual([]);
  });

  it('follows a redirect within the app origin, with the credentials and the body', async () => {
    const { client } = await cookieClient();
    const csrf = await csrfOf(client);
    const response = await client.fetch('/api/to-same-origin', { method: 'POST', body: 'kept' });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      method: 'POST',
      authorization: null,
      csrf,
      body: 'kept',
    });
  });

  it('leaves a caller-chosen redirect mode alone', async () => {
    const { client } = await cookieClient();
    await expect(
      client.fetch('/api/to-same-origin', { method: 'POST', body: 'x', redirect: 'error' }),
    ).rejects.toThrow(TypeError);
  });
});

describe("the client's own requests to the service", () => {
  it('refuses a redirected sign-in with unexpected_redirect, sending the password nowhere', async () => {
    const client = createWritClient({ issuer: appOrigin, mode: 'body' });
    const email = await newUser();
    redirectedAuthPaths.add('/auth/sign-in');
    received.length = 0;
    try {
      const error = await client.signIn(email, password).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(WritClientError);
      expect((error as WritClientError).code).toBe('unexpected_redirect');
      expect((error as WritClientError).status).toBe(307);
    } finally {
      redirectedAuthPaths.delete('/auth/sign-in');
    }
    expect(received).toEqual([]);
    expect(client.signedIn).toBe(false);
  });

  it('refuses a redirected refresh with unexpected_redirect, sending the refresh cookie nowhere', async () => {
    const { jar } = await cookieClient();
    // A reloaded page: same cookies, no CSRF value in memory, so resume() refreshes.
    const reloaded = createWritClient({ issuer: appOrigin, mode: 'cookie', fetch: jar.fetch });
    redirectedAuthPaths.add('/auth/refresh');
    received.length = 0;
    try {
      await expect(reloaded.resume()).rejects.toMatchObject({ code: 'unexpected_redirect' });
    } finally {
      redirectedAuthPaths.delete('/auth/refresh');
    }
    expect(received).toEqual([]);
    expectNothingLeaked(Object.values(jar.values()));
  });

  it('refuses a redirected sign-out with unexpected_redirect, sending X-CSRF-Token nowhere', async () => {
    const { client, jar } = await cookieClient();
    const csrf = await csrfOf(client);
    redirectedAuthPaths.add('/auth/sign-out');
    received.length = 0;
    try {
      await expect(client.signOut()).rejects.toMatchObject({ code: 'unexpected_redirect' });
    } finally {
      redirectedAuthPaths.delete('/auth/sign-out');
    }
    expect(received).toEqual([]);
    expectNothingLeaked([csrf, ...Object.values(jar.values())]);
    // Local state is cleared whatever the service answered.
    expect(client.signedIn).toBe(false);
  });
});
