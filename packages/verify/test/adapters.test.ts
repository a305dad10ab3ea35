import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createVerifier } from '../src/index.ts';
import { csrfClaimFor, defaultAccessCookieName } from '../src/internal.ts';
import { type AdapterName, type AdapterServer, adapterServers } from './support/adapter-servers.ts';
import {
  createHostileKit,
  type HostileKit,
  hostileCases,
  hostileVerifierOptions,
} from './support/hostile-tokens.ts';
import { get, refusalFingerprint, send } from './support/http-client.ts';
import { sign, validClaims } from './support/tokens.ts';

let kit: HostileKit;
const hostileTokens: Array<{ name: string; token: string }> = [];
const fingerprintsByAdapter = new Map<AdapterName, string>();

beforeAll(async () => {
  kit = await createHostileKit();
  for (const hostile of hostileCases) {
    const token = await hostile.make(kit);
    // A header value cannot carry CR, LF or NUL: such tokens never reach an HTTP adapter.
    if (!/[\r\n\0]/.test(token)) hostileTokens.push({ name: hostile.name, token });
  }
});

const expectedInvalidToken = {
  status: 401,
  wwwAuthenticate: 'Bearer error="invalid_token"',
  body: '{"error":"invalid_token"}',
};

describe.each(Object.keys(adapterServers) as AdapterName[])('the %s adapter', (adapter) => {
  let server: AdapterServer;
  const url = (path: string) => `${server.baseUrl}${path}`;
  const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

  beforeAll(async () => {
    server = await adapterServers[adapter](createVerifier(hostileVerifierOptions(kit)));
  });
  afterAll(() => server.close());

  it('passes a valid token through with its claims typed for the handler', async () => {
    const response = await get(url('/me'), bearer(kit.valid));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toEqual({ sub: 'usr_4f9a1c2e7b', scope: 'read write' });
  });

  it('accepts the bearer scheme in any case, and spaces around the token', async () => {
    for (const authorization of [`bEaReR ${kit.valid}`, `Bearer   ${kit.valid}  `]) {
      const response = await get(url('/me'), { authorization });
      expect(response.status).toBe(200);
    }
  });

  it('takes a scheme that only starts like Bearer for no token at all', async () => {
    for (const authorization of [`BearerX ${kit.valid}`, `Bear ${kit.valid}`]) {
      const response = await get(url('/me'), { authorization });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('answers every hostile token with a byte-identical 401', async () => {
    const fingerprints = new Set<string>();
    for (const { name, token } of hostileTokens) {
      const response = await get(url('/me'), bearer(token));
      expect({ name, status: response.status }).toEqual({ name, status: 401 });
      fingerprints.add(refusalFingerprint(response));
    }
    expect(hostileTokens.length).toBeGreaterThanOrEqual(40);
    expect(fingerprints.size).toBe(1);
    const [only] = fingerprints;
    const [status, wwwAuthenticate, , cacheControl, body] = JSON.parse(only ?? '[]') as unknown[];
    expect({ status, wwwAuthenticate, body }).toEqual(expectedInvalidToken);
    expect(cacheControl).toBe('no-store');
    fingerprintsByAdapter.set(adapter, only ?? '');
  });

  it('answers a credential that is not even a token like any other bad token', async () => {
    for (const authorization of [
      'Bearer',
      'Bearer  ',
      'Bearer a b',
      'Bearer {"alg":"none"}',
      `Bearer ${kit.valid} ${kit.valid}`,
      `Bearer ${kit.valid}=`,
    ]) {
      const response = await get(url('/me'), { authorization });
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe(expectedInvalidToken.wwwAuthenticate);
      expect(response.body).toBe(expectedInvalidToken.body);
    }
  });

  it('answers a request without a token with 401 and a challenge that has no error', async () => {
    for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }]) {
      const response = await get(url('/me'), headers);
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    }
  });

  it('refuses a token in the URL with 400, even next to a valid header', async () => {
    const queries = [
      `?access_token=${kit.valid}`,
      `?ACCESS_TOKEN=x`,
      `?t=${kit.valid}`,
      `?next=${encodeURIComponent(`https://app.example/cb?token=${kit.valid}`)}`,
      `?${kit.valid}`,
    ];
    for (const query of queries) {
      const response = await get(url(`/me${query}`), bearer(kit.valid));
      expect({ query, status: response.status }).toEqual({ query, status: 400 });
      expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_request"');
      expect(response.body).not.toContain(kit.valid.slice(0, 20));
    }
  });

  it('does not mistake ordinary query strings for tokens', async () => {
    const response = await get(url('/me?page=2&version=1.2.3&q=a.b.c'), bearer(kit.valid));
    expect(response.status).toBe(200);
  });

  it('refuses two Authorization headers', async () => {
    const response = await get(url('/me'), {
      authorization: [`Bearer ${kit.valid}`, `Bearer ${kit.valid}`],
    });
    // Hono sees repeated fields joined by ", " (Fetch Headers), which is no valid credential.
    expect(response.status).toBe(adapter === 'hono' ? 401 : 400);
  });

  it('answers a valid token without the required scope with 403 insufficient_scope', async () => {
    const response = await get(url('/admin'), bearer(kit.valid));
    expect(response.status).toBe(403);
    expect(response.headers['www-authenticate']).toBe(
      'Bearer error="insufficient_scope", scope="admin"',
    );
    expect(JSON.parse(response.body)).toEqual({ error: 'insufficient_scope', scope: 'admin' });
  });

  describe('in cookie mode', () => {
    const csrf = 'csrf-value-bound-into-the-token';
    let cookieToken: string;
    const cookie = (token: string) => `${defaultAccessCookieName}=${token}`;

    beforeAll(async () => {
      cookieToken = await sign(kit.ed, validClaims({ csrf: csrfClaimFor(csrf) }));
    });

    it('reads the token from the access cookie on a safe request without a CSRF header', async () => {
      const response = await get(url('/cookie/me'), {
        cookie: `theme=dark; ${cookie(cookieToken)}`,
      });
      expect(response.status).toBe(200);
    });

    it('requires the matching X-CSRF-Token on a state-changing request', async () => {
      const missing = await send('POST', url('/cookie/me'), { cookie: cookie(cookieToken) });
      expect(missing.status).toBe(403);
      expect(JSON.parse(missing.body)).toEqual({ error: 'csrf_token_mismatch' });
      const wrong = await send('POST', url('/cookie/me'), {
        cookie: cookie(cookieToken),
        'x-csrf-token': 'guess',
      });
      expect(wrong.status).toBe(403);
      const right = await send('POST', url('/cookie/me'), {
        cookie: cookie(cookieToken),
        'x-csrf-token': csrf,
      });
      expect(right.status).toBe(200);
    });

    it('refuses a cookie holding a token minted without a CSRF binding', async () => {
      const response = await get(url('/cookie/me'), { cookie: cookie(kit.valid) });
      expect(response.status).toBe(401);
    });

    it('refuses two access cookies of the same name (cookie tossing)', async () => {
      const response = await get(url('/cookie/me'), {
        cookie: `${cookie(cookieToken)}; ${cookie(kit.valid)}`,
      });
      expect(response.status).toBe(401);
    });

    it('needs no CSRF value for a token sent in the Authorization header', async () => {
      const response = await send('POST', url('/cookie/me'), bearer(kit.valid));
      expect(response.status).toBe(200);
    });

    it('answers a request with neither header nor cookie with 401 and no error', async () => {
      const response = await get(url('/cookie/me'));
      expect(response.status).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer');
    });
  });

  it('lets a token with the required scope through', async () => {
    const token = await sign(kit.ed, validClaims({ scope: 'read admin' }));
    const response = await get(url('/admin'), bearer(token));
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ scope: 'read admin' });
  });
});

describe('all adapters together', () => {
  it('send the same refusal bytes as each other', () => {
    expect(fingerprintsByAdapter.size).toBe(4);
    expect(new Set(fingerprintsByAdapter.values()).size).toBe(1);
  });
});

describe('the fastify adapter under inject (light-my-request)', () => {
  it('authenticates simulated requests the same way', async () => {
    const Fastify = (await import('fastify')).default;
    const { writFastify } = await import('../src/http/fastify.ts');
    const app = Fastify();
    await app.register(async (api) => {
      await api.register(writFastify, { verifier: createVerifier(hostileVerifierOptions(kit)) });
      api.get('/me', async (request) => ({ sub: request.auth.claims.sub }));
    });
    const ok = await app.inject({ url: '/me', headers: { authorization: `Bearer ${kit.valid}` } });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toEqual({ sub: 'usr_4f9a1c2e7b' });
    const bad = await app.inject({
      url: '/me',
      headers: { authorization: `Bearer ${kit.valid}x` },
    });
    expect(bad.statusCode).toBe(401);
    expect(bad.body).toBe(expectedInvalidToken.body);
    await app.close();
  });
});
