import { request } from 'node:http';
import { csrfClaimFor } from '@writ/verify/internal';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
  await service.addUser('cora@example.com', password);
});
afterAll(() => service.destroy());

interface SetCookie {
  readonly name: string;
  readonly value: string;
  readonly attributes: Record<string, string | true>;
}

function parseSetCookies(headers: Headers): SetCookie[] {
  return headers.getSetCookie().map((line) => {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    return {
      name: pair.slice(0, separator),
      value: pair.slice(separator + 1),
      attributes: Object.fromEntries(
        attributes.map((attribute) => {
          const eq = attribute.indexOf('=');
          return eq === -1 ? [attribute, true] : [attribute.slice(0, eq), attribute.slice(eq + 1)];
        }),
      ),
    };
  });
}

async function signInWithCookies(email = 'cora@example.com') {
  const response = await fetch(`${service.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, mode: 'cookie' }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const cookies = parseSetCookies(response.headers);
  const access = cookies.find((c) => c.name === '__Host-writ-access');
  const refresh = cookies.find((c) => c.name === '__Secure-writ-refresh');
  const binding = cookies.find((c) => c.name === '__Host-writ-binding');
  /** What the browser sends to /auth/refresh: the refresh cookie and its binding. */
  const refreshCookies = `__Secure-writ-refresh=${refresh?.value}; __Host-writ-binding=${binding?.value}`;
  return { status: response.status, body, access, refresh, binding, refreshCookies };
}

/** A POST with a Host header of our choosing, which fetch does not allow. */
function rawPost(
  path: string,
  headers: Record<string, string>,
): Promise<{ status: number; body: string; setCookies: string[] }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, service.url);
    const outgoing = request(url, { method: 'POST', headers }, (incoming) => {
      let body = '';
      incoming.setEncoding('utf8');
      incoming.on('data', (chunk: string) => {
        body += chunk;
      });
      incoming.on('end', () =>
        resolve({
          status: incoming.statusCode ?? 0,
          body,
          setCookies: incoming.headers['set-cookie'] ?? [],
        }),
      );
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

describe('cookie mode', () => {
  it('puts both tokens in Secure HttpOnly SameSite=Strict cookies and only the CSRF value in the body', async () => {
    const { status, body, access, refresh, binding } = await signInWithCookies();
    expect(status).toBe(200);
    expect(Object.keys(body).sort()).toEqual(['csrf_token', 'expires_in']);
    expect(access?.attributes).toMatchObject({
      Secure: true,
      HttpOnly: true,
      SameSite: 'Strict',
      Path: '/',
      'Max-Age': '600',
    });
    expect(refresh?.attributes).toMatchObject({
      Secure: true,
      HttpOnly: true,
      SameSite: 'Strict',
      Path: '/auth/refresh',
    });
    // The refresh token's binding: a __Host- cookie (Path=/, no Domain), which no sibling
    // subdomain can set, holding a value that is worthless without the refresh token.
    expect(binding?.attributes).toMatchObject({
      Secure: true,
      HttpOnly: true,
      SameSite: 'Strict',
      Path: '/',
      'Max-Age': refresh?.attributes['Max-Age'],
    });
    expect(binding?.value).not.toContain(refresh?.value ?? '');
    expect(access?.attributes).not.toHaveProperty('Domain');
    expect(refresh?.attributes).not.toHaveProperty('Domain');
    expect(binding?.attributes).not.toHaveProperty('Domain');
    // The access token carries the hash of the CSRF value, never the value itself.
    const claims = decodeJwt(access?.value ?? '');
    expect(claims.csrf).toBe(csrfClaimFor(String(body.csrf_token)));
    expect(JSON.stringify(claims)).not.toContain(String(body.csrf_token));
  });

  it('accepts the cookie on a read, and requires X-CSRF-Token on a state change', async () => {
    const { body, access } = await signInWithCookies();
    const cookie = `__Host-writ-access=${access?.value}`;
    expect((await fetch(`${service.url}/auth/sessions`, { headers: { cookie } })).status).toBe(200);
    const forged = await fetch(`${service.url}/auth/sign-out`, {
      method: 'POST',
      headers: { cookie },
    });
    expect(forged.status).toBe(403);
    const wrong = await fetch(`${service.url}/auth/sign-out`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': 'x' },
    });
    expect(wrong.status).toBe(403);
    const real = await fetch(`${service.url}/auth/sign-out`, {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': String(body.csrf_token) },
    });
    expect(real.status).toBe(204);
    const cleared = parseSetCookies(real.headers);
    expect(cleared.map((c) => [c.name, c.attributes['Max-Age']])).toEqual([
      ['__Host-writ-access', '0'],
      ['__Secure-writ-refresh', '0'],
      ['__Host-writ-binding', '0'],
    ]);
    expect((await fetch(`${service.url}/auth/sessions`, { headers: { cookie } })).status).toBe(401);
  });

  it('refreshes from the refresh cookie and gives the page its CSRF value back after a reload', async () => {
    const { body, refresh, refreshCookies } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: refreshCookies, 'x-writ-refresh': '1' },
    });
    expect(response.status).toBe(200);
    const refreshed = (await response.json()) as Record<string, unknown>;
    expect(refreshed.csrf_token).toBe(body.csrf_token);
    const rotated = parseSetCookies(response.headers).find(
      (c) => c.name === '__Secure-writ-refresh',
    );
    expect(rotated?.value).not.toBe(refresh?.value);
  });

  it('refuses a cookie refresh without the X-Writ-Refresh header (cross-origin pages cannot send it)', async () => {
    const { refreshCookies } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: refreshCookies },
    });
    expect(response.status).toBe(400);
  });

  it('clears the cookies when a cookie refresh fails', async () => {
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: '__Secure-writ-refresh=wrt_unknown', 'x-writ-refresh': '1' },
    });
    expect(response.status).toBe(401);
    expect(parseSetCookies(response.headers).map((c) => c.attributes['Max-Age'])).toEqual([
      '0',
      '0',
      '0',
    ]);
  });

  describe('against a sibling subdomain planting cookies (cookie tossing)', () => {
    /** The attacker signs in to their own account, keeping its refresh token (and binding). */
    async function attackersSession() {
      const email = `mallory-${Math.random().toString(36).slice(2)}@example.com`;
      await service.addUser(email, password);
      const response = await fetch(`${service.url}/auth/sign-in`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email, password, mode: 'cookie' }),
      });
      const token = parseSetCookies(response.headers).find((c) => c.value.startsWith('wrt_'));
      expect(token).toBeDefined();
      return { refreshToken: token?.value ?? '' };
    }

    it("cannot sign a signed-out victim into the attacker's session with a planted refresh cookie", async () => {
      const { refreshToken } = await attackersSession();
      // What a sibling can plant: a __Secure- cookie for the parent domain (any path that reaches
      // /auth/refresh). It cannot plant the __Host- binding: browsers refuse a __Host- cookie
      // with a Domain or from another host.
      const response = await fetch(`${service.url}/auth/refresh`, {
        method: 'POST',
        headers: { cookie: `__Secure-writ-refresh=${refreshToken}`, 'x-writ-refresh': '1' },
      });
      expect(response.status).toBe(401);
      expect(
        parseSetCookies(response.headers).filter((c) => c.attributes['Max-Age'] !== '0'),
      ).toEqual([]);
      // Nor beside a victim's binding from an earlier session of their own.
      const victim = await signInWithCookies();
      const mixed = await fetch(`${service.url}/auth/refresh`, {
        method: 'POST',
        headers: {
          cookie: `__Secure-writ-refresh=${refreshToken}; __Host-writ-binding=${victim.binding?.value}`,
          'x-writ-refresh': '1',
        },
      });
      expect(mixed.status).toBe(401);
    });

    it('refreshes the genuine session when a second refresh cookie was planted beside it, and clears the planted variants', async () => {
      const victim = await signInWithCookies();
      const { refreshToken } = await attackersSession();
      const answer = await rawPost('/auth/refresh', {
        host: 'auth.writ.test',
        cookie: `__Secure-writ-refresh=${refreshToken}; ${victim.refreshCookies}`,
        'x-writ-refresh': '1',
      });
      expect(answer.status).toBe(200);
      // The victim's own session: the CSRF value is the victim's.
      expect(JSON.parse(answer.body).csrf_token).toBe(victim.body.csrf_token);
      const clears = answer.setCookies
        .filter((line) => line.includes('Max-Age=0'))
        .map((line) => line.replace(/; (Secure|HttpOnly)/g, ''));
      expect(clears.sort()).toEqual(
        [
          '__Secure-writ-refresh=; Domain=writ.test; Path=/; Max-Age=0',
          '__Secure-writ-refresh=; Domain=writ.test; Path=/auth; Max-Age=0',
          '__Secure-writ-refresh=; Domain=writ.test; Path=/auth/refresh; Max-Age=0',
        ].sort(),
      );
    });

    it('answers two refresh cookies that no binding vouches for by clearing the cookies (signed out), not a 400 forever', async () => {
      const first = await attackersSession();
      const second = await attackersSession();
      const response = await fetch(`${service.url}/auth/refresh`, {
        method: 'POST',
        headers: {
          cookie: `__Secure-writ-refresh=${first.refreshToken}; __Secure-writ-refresh=${second.refreshToken}`,
          'x-writ-refresh': '1',
        },
      });
      expect(response.status).toBe(401);
      const cleared = parseSetCookies(response.headers);
      expect(cleared.map((c) => [c.name, c.attributes.Path, c.attributes['Max-Age']])).toEqual([
        ['__Host-writ-access', '/', '0'],
        ['__Secure-writ-refresh', '/auth/refresh', '0'],
        ['__Host-writ-binding', '/', '0'],
      ]);
      expect((await signInWithCookies()).status).toBe(200);
    });
  });

  it("treats a cookie session's refresh token presented in a JSON body as stolen", async () => {
    const { refresh, refreshCookies } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh?.value }),
    });
    expect(response.status).toBe(401);
    // The session is gone: not even its own cookie refreshes it any more.
    const fromCookie = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: refreshCookies, 'x-writ-refresh': '1' },
    });
    expect(fromCookie.status).toBe(401);
  });
});
