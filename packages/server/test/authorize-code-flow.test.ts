import { createHash } from 'node:crypto';
import { createVerifier } from '@writ/verify';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  authorizeUrl,
  browse,
  CookieJar,
  codeRequest,
  exchangeCode,
  pkcePair,
  postSignIn,
  type RegisteredClient,
  redirectParams,
  refreshGrant,
  registerClient,
  signInFormOf,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { readServiceFile } from './support/service-file.ts';

const email = 'ada@example.com';
const password = 'correct horse battery staple';
const audience = 'https://api.writ.test';

let service: TestService;
let adminKey: string;
let client: RegisteredClient;
let userId: string;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  userId = await service.addUser(email, password);
  client = await registerClient(service, adminKey);
});
afterAll(() => service.destroy());

function leftHalfHash(token: string, hash: 'sha256' | 'sha512'): string {
  const digest = createHash(hash).update(token).digest();
  return digest.subarray(0, digest.length / 2).toString('base64url');
}

/** One complete sign-in through the page, returning the code and what the request was. */
async function authorizeOnce(
  jar = new CookieJar(),
  overrides: Record<string, string> = {},
  target = client,
) {
  const { verifier, challenge } = pkcePair();
  const params = codeRequest(target, challenge, overrides);
  const result = await signInThroughPage(service, jar, authorizeUrl(service, params), {
    email,
    password,
  });
  return { params, verifier, result, code: result.get('code') ?? '', jar };
}

describe('the authorization code flow over HTTP', () => {
  it('signs in on the page and exchanges the code for tokens both verifiers accept', async () => {
    const jar = new CookieJar();
    const { verifier, challenge } = pkcePair();
    const params = codeRequest(client, challenge);
    const page = await browse(authorizeUrl(service, params), jar);
    expect(page.status).toBe(200);
    const form = signInFormOf(await page.text());

    const posted = await postSignIn(service, jar, form, { email, password });
    expect(posted.status).toBe(303);
    const location = new URL(posted.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    const result = location.searchParams;
    expect(result.get('state')).toBe(params.state);
    expect(result.get('iss')).toBe(service.url);
    const code = result.get('code') ?? '';
    expect(code).toMatch(/^wac_[A-Za-z0-9_-]{43}$/);

    // The browser's sign-in cookie: __Host-, HttpOnly, Secure, SameSite=Lax, Path=/.
    const sso = posted.headers.getSetCookie().find((line) => line.startsWith('__Host-writ-sso='));
    expect(sso).toMatch(/; Secure/);
    expect(sso).toMatch(/; HttpOnly/);
    expect(sso).toMatch(/; SameSite=Lax/);
    expect(sso).toMatch(/; Path=\//);

    const token = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(token.status).toBe(200);
    expect(token.body.token_type).toBe('Bearer');
    expect(token.body.scope).toBe('openid api');
    expect(typeof token.body.refresh_token).toBe('string');
    const accessToken = String(token.body.access_token);
    const idToken = String(token.body.id_token);

    // Writ's own verifier accepts the access token...
    const verifyAccess = createVerifier({
      issuer: service.url,
      audience,
      jwksUri: `${service.url}/.well-known/jwks.json`,
    });
    const { claims } = await verifyAccess.verify(accessToken);
    expect(claims.sub).toBe(userId);
    expect(claims.client_id).toBe(client.clientId);
    // ...and refuses the ID token where an access token is expected.
    await expect(verifyAccess.verify(idToken)).rejects.toThrow();

    // jose, as any relying party would, with the ID token's own rules.
    const jwks = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(idToken, jwks, {
      issuer: service.url,
      audience: client.clientId,
      typ: 'JWT',
    });
    expect(protectedHeader.typ).toBe('JWT');
    expect(payload.sub).toBe(userId);
    expect(payload.nonce).toBe(params.nonce);
    expect(typeof payload.auth_time).toBe('number');
    expect(Math.abs(Number(payload.auth_time) - Date.now() / 1000)).toBeLessThan(60);
    expect(payload.sid).toMatch(/^ses_/);
    const alg = protectedHeader.alg ?? '';
    const hash = alg === 'EdDSA' || alg === 'Ed25519' || alg.endsWith('512') ? 'sha512' : 'sha256';
    expect(payload.at_hash).toBe(leftHalfHash(accessToken, hash));
    expect(decodeProtectedHeader(accessToken).typ).toBe('at+jwt');
  });

  it('skips the page on a second authorization in the same browser (single sign-on)', async () => {
    const first = await authorizeOnce();
    const { verifier, challenge } = pkcePair();
    const params = codeRequest(client, challenge);
    const second = await browse(authorizeUrl(service, params), first.jar);
    expect(second.status).toBe(302);
    const result = redirectParams(second);
    expect(result.get('state')).toBe(params.state);
    expect(result.get('iss')).toBe(service.url);
    const token = await exchangeCode(service, client, {
      code: result.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(token.status).toBe(200);
    // prompt=none answers silently now, prompt=login and max_age=0 show the page again.
    const silent = await browse(
      authorizeUrl(service, codeRequest(client, challenge, { prompt: 'none' })),
      first.jar,
    );
    expect(redirectParams(silent).get('code')).toMatch(/^wac_/);
    for (const overrides of [{ prompt: 'login' }, { max_age: '0' }]) {
      service.clock.advance(1000);
      const again = await browse(
        authorizeUrl(service, codeRequest(client, challenge, overrides)),
        first.jar,
      );
      expect(again.status).toBe(200);
    }
    service.clock.reset();
  });

  it('shows the page again once the browser session is signed out everywhere', async () => {
    const first = await authorizeOnce();
    const signedIn = await call(service.url, 'POST', '/auth/sign-in', {
      body: { email, password },
    });
    const everywhere = await call(service.url, 'POST', '/auth/sign-out-everywhere', {
      token: String(signedIn.body.access_token),
    });
    expect(everywhere.status).toBeLessThan(300);
    const { challenge } = pkcePair();
    const again = await browse(authorizeUrl(service, codeRequest(client, challenge)), first.jar);
    expect(again.status).toBe(200);
    const none = await browse(
      authorizeUrl(service, codeRequest(client, challenge, { prompt: 'none' })),
      first.jar,
    );
    expect(redirectParams(none).get('error')).toBe('login_required');
  });

  it('refuses a forged sign-in cookie', async () => {
    const jar = new CookieJar();
    const first = await authorizeOnce(jar);
    const genuine = first.jar.get('__Host-writ-sso') ?? '';
    const [sessionId] = genuine.split('.');
    const forged = new CookieJar();
    forged.store(
      new Response(null, {
        headers: { 'set-cookie': `__Host-writ-sso=${sessionId}.${'A'.repeat(43)}; Path=/` },
      }),
    );
    const { challenge } = pkcePair();
    const response = await browse(
      authorizeUrl(service, codeRequest(client, challenge, { prompt: 'none' })),
      forged,
    );
    expect(redirectParams(response).get('error')).toBe('login_required');
  });

  it('answers every failed sign-in with one message and keeps the form usable', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const page = await browse(authorizeUrl(service, codeRequest(client, challenge)), jar);
    const form = signInFormOf(await page.text());
    const wrong = await postSignIn(service, jar, form, { email, password: 'wrong password!' });
    const unknown = await postSignIn(service, jar, form, {
      email: 'nobody@example.com',
      password,
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    const messageOf = (html: string) => /role="alert">([^<]*)</.exec(html)?.[1];
    const wrongHtml = await wrong.text();
    const unknownHtml = await unknown.text();
    expect(messageOf(wrongHtml)).toBe('The email or password is incorrect.');
    expect(messageOf(unknownHtml)).toBe(messageOf(wrongHtml));
    expect(wrong.headers.get('location')).toBeNull();
    const retry = await postSignIn(service, jar, signInFormOf(wrongHtml), { email, password });
    expect(retry.status).toBe(303);
    expect(redirectParams(retry).get('code')).toMatch(/^wac_/);
  });

  it('is throttled by the first-party sign-in throttle', async () => {
    const victim = 'throttled@example.com';
    await service.addUser(victim, password);
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const page = await browse(authorizeUrl(service, codeRequest(client, challenge)), jar);
    let form = signInFormOf(await page.text());
    const statuses: number[] = [];
    let last: Response | undefined;
    for (let attempt = 0; attempt < 7; attempt++) {
      last = await postSignIn(service, jar, form, { email: victim, password: 'wrong password!' });
      statuses.push(last.status);
      form = signInFormOf(await last.text());
    }
    // Five free failures for one account and address, then the throttle's answer.
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.at(-1)).toBe(429);
    expect(Number(last?.headers.get('retry-after'))).toBeGreaterThan(0);
    // Even the right password waits: the page runs the same flow as POST /auth/sign-in.
    const right = await postSignIn(service, jar, form, { email: victim, password });
    expect(right.status).toBe(429);
  });

  it("refuses a sign-in post without the CSRF cookie or with another form's value", async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const page = await browse(authorizeUrl(service, codeRequest(client, challenge)), jar);
    const form = signInFormOf(await page.text());
    // Another site's forged post: no SameSite=Strict cookie comes with it.
    const cookieless = new CookieJar();
    const forged = await postSignIn(service, cookieless, form, { email, password });
    expect(forged.status).toBe(403);
    expect(forged.headers.get('location')).toBeNull();
    // The attacker's own pending request and CSRF value, in the victim's browser.
    const attackerJar = new CookieJar();
    const attackerPage = await browse(
      authorizeUrl(service, codeRequest(client, challenge)),
      attackerJar,
    );
    const attackerForm = signInFormOf(await attackerPage.text());
    const planted = await postSignIn(service, jar, attackerForm, { email, password });
    expect(planted.status).toBe(403);
    // A tampered pending request.
    const tampered = await postSignIn(
      service,
      jar,
      { ...form, request: `${form.request.slice(0, -2)}AA` },
      {
        email,
        password,
      },
    );
    expect(tampered.status).toBe(400);
    expect(jar.get('__Host-writ-sso')).toBeUndefined();
  });

  it('refuses a pending sign-in form after ten minutes', async () => {
    const jar = new CookieJar();
    const { challenge } = pkcePair();
    const page = await browse(authorizeUrl(service, codeRequest(client, challenge)), jar);
    const form = signInFormOf(await page.text());
    service.clock.advance(10 * 60_000 + 1000);
    try {
      const late = await postSignIn(service, jar, form, { email, password });
      expect(late.status).toBe(400);
      expect(await late.text()).toContain('expired');
    } finally {
      service.clock.reset();
    }
  });
});

describe('redeeming a code', () => {
  it('refuses a wrong verifier, another redirect URI and another client, and keeps the code for its client', async () => {
    const other = await registerClient(service, adminKey);
    const { code, verifier } = await authorizeOnce();
    const wrongVerifier = await exchangeCode(service, client, {
      code,
      code_verifier: pkcePair().verifier,
      redirect_uri: client.redirectUri,
    });
    expect(wrongVerifier).toEqual({
      status: 400,
      body: { error: 'invalid_grant', error_description: expect.any(String) },
    });
    const wrongRedirect = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: 'http://127.0.0.1:5555/other',
    });
    expect(wrongRedirect.body.error).toBe('invalid_grant');
    const otherClient = await exchangeCode(service, other, {
      code,
      code_verifier: verifier,
      redirect_uri: other.redirectUri,
    });
    expect(otherClient.body.error).toBe('invalid_grant');
    const missingVerifier = await exchangeCode(service, client, {
      code,
      redirect_uri: client.redirectUri,
    });
    expect(missingVerifier.body.error).toBe('invalid_request');
    const good = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(good.status).toBe(200);
  });

  it('refuses a second redemption and revokes the session the first one opened', async () => {
    const { code, verifier } = await authorizeOnce();
    const request = { code, code_verifier: verifier, redirect_uri: client.redirectUri };
    const first = await exchangeCode(service, client, request);
    expect(first.status).toBe(200);
    const second = await exchangeCode(service, client, request);
    expect(second.status).toBe(400);
    expect(second.body.error).toBe('invalid_grant');
    // The first redemption's refresh token died with its session.
    const refreshed = await exchangeCode(service, client, {});
    expect(refreshed.status).toBe(400);
    const refresh = await refreshGrant(service, client, String(first.body.refresh_token));
    expect(refresh.status).toBe(400);
    expect(refresh.body.error).toBe('invalid_grant');
    // And its access token is in the revocation log (sid).
    const sid = JSON.parse(
      Buffer.from(String(first.body.access_token).split('.')[1] ?? '', 'base64url').toString(),
    ).sid as string;
    const entry = readServiceFile(service, (db) =>
      db
        .prepare("SELECT * FROM revocations WHERE target_type = 'sid' AND target_value = ?")
        .get(sid),
    );
    expect(entry).toBeDefined();
  });

  it('refuses a code whose browser sign-in ended before it was redeemed', async () => {
    const { code, verifier } = await authorizeOnce();
    const signedIn = await call(service.url, 'POST', '/auth/sign-in', {
      body: { email, password },
    });
    const everywhere = await call(service.url, 'POST', '/auth/sign-out-everywhere', {
      token: String(signedIn.body.access_token),
    });
    expect(everywhere.status).toBeLessThan(300);
    const late = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(late.status).toBe(400);
    expect(late.body.error).toBe('invalid_grant');
  });

  it('refuses a code after its 60 seconds', async () => {
    const { code, verifier } = await authorizeOnce();
    service.clock.advance(61_000);
    try {
      const late = await exchangeCode(service, client, {
        code,
        code_verifier: verifier,
        redirect_uri: client.redirectUri,
      });
      expect(late.body.error).toBe('invalid_grant');
    } finally {
      service.clock.reset();
    }
  });

  it('issues no ID token without the openid scope, and stores codes only as hashes', async () => {
    const { code, verifier } = await authorizeOnce(new CookieJar(), { scope: 'api' });
    const token = await exchangeCode(service, client, {
      code,
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(token.status).toBe(200);
    expect(token.body.id_token).toBeUndefined();
    const rows = readServiceFile(
      service,
      (db) =>
        db.prepare('SELECT code_hash FROM authorization_codes').all() as { code_hash: string }[],
    );
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.some((row) => row.code_hash === code)).toBe(false);
    expect(
      rows.some((row) => row.code_hash === createHash('sha256').update(code).digest('base64url')),
    ).toBe(true);
  });

  it('issues the access token for the resource asked for (RFC 8707)', async () => {
    const multi = await registerClient(service, adminKey, {
      audiences: [audience, 'https://files.writ.test'],
    });
    const { code, verifier } = await authorizeOnce(
      new CookieJar(),
      { resource: 'https://files.writ.test' },
      multi,
    );
    const token = await exchangeCode(service, multi, {
      code,
      code_verifier: verifier,
      redirect_uri: multi.redirectUri,
    });
    expect(token.status).toBe(200);
    const claims = JSON.parse(
      Buffer.from(String(token.body.access_token).split('.')[1] ?? '', 'base64url').toString(),
    ) as { aud: string };
    expect(claims.aud).toBe('https://files.writ.test');
  });
});
