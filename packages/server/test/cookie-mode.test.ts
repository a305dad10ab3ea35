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

async function signInWithCookies() {
  const response = await fetch(`${service.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: 'cora@example.com', password, mode: 'cookie' }),
  });
  const body = (await response.json()) as Record<string, unknown>;
  const cookies = parseSetCookies(response.headers);
  const access = cookies.find((c) => c.name === '__Host-writ-access');
  const refresh = cookies.find((c) => c.name === '__Secure-writ-refresh');
  return { status: response.status, body, access, refresh };
}

describe('cookie mode', () => {
  it('puts both tokens in Secure HttpOnly SameSite=Strict cookies and only the CSRF value in the body', async () => {
    const { status, body, access, refresh } = await signInWithCookies();
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
    expect(access?.attributes).not.toHaveProperty('Domain');
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
    ]);
    expect((await fetch(`${service.url}/auth/sessions`, { headers: { cookie } })).status).toBe(401);
  });

  it('refreshes from the refresh cookie and gives the page its CSRF value back after a reload', async () => {
    const { body, refresh } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `__Secure-writ-refresh=${refresh?.value}`, 'x-writ-refresh': '1' },
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
    const { refresh } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `__Secure-writ-refresh=${refresh?.value}` },
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
    ]);
  });

  it("treats a cookie session's refresh token presented in a JSON body as stolen", async () => {
    const { refresh } = await signInWithCookies();
    const response = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: refresh?.value }),
    });
    expect(response.status).toBe(401);
    // The session is gone: not even its own cookie refreshes it any more.
    const fromCookie = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { cookie: `__Secure-writ-refresh=${refresh?.value}`, 'x-writ-refresh': '1' },
    });
    expect(fromCookie.status).toBe(401);
  });
});
