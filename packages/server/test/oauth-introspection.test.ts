import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { disableClient } from '../src/clients/disable-client.ts';
import { appendRevocations } from '../src/revocation/append-revocations.ts';
import {
  addClient,
  addRefreshingClient,
  addServiceClient,
  basic,
  basicAuthOf,
  clientCredentialsToken,
  openClientSession,
  postForm,
  type RegisteredClient,
  revokeSession,
} from './support/oauth.ts';

let service: TestService;
let jwks: ReturnType<typeof createRemoteJWKSet>;
/** Issues tokens for https://api.writ.test. */
let issuer: RegisteredClient;
/** The resource (or its gateway): a confidential client whose audience is the API. */
let resource: RegisteredClient;
/** Another confidential client, of another audience. */
let stranger: RegisteredClient;
let userId: string;
/** Set by the revocation-log tests, run last (a kid entry revokes every token of the key). */
let kidCase: () => Promise<void> = async () => {};
const email = 'introspect@example.com';
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
  jwks = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
  issuer = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
  resource = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
  stranger = await addServiceClient(service, { audiences: ['https://elsewhere.writ.test'] });
  userId = await service.addUser(email, password);
});
afterEach(() => service.clock.reset());
afterAll(() => service.destroy());

const auth = basicAuthOf;

const accessTokenFor = (registered: RegisteredClient) =>
  clientCredentialsToken(service, registered);

function introspect(
  caller: RegisteredClient,
  token: string,
  extra: Record<string, string> = {},
  headers: Record<string, string> = {},
) {
  return postForm(
    service.url,
    '/oauth/introspect',
    { token, ...extra },
    {
      ...auth(caller),
      ...headers,
    },
  );
}

async function expectInactive(caller: RegisteredClient, token: string) {
  const response = await introspect(caller, token);
  expect(response.status).toBe(200);
  expect(response.body).toEqual({ active: false });
  expect(response.headers.get('cache-control')).toBe('no-store');
}

async function introspectAsJwt(caller: RegisteredClient, token: string) {
  const response = await fetch(`${service.url}/oauth/introspect`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      accept: 'application/token-introspection+jwt',
      ...auth(caller),
    },
    body: new URLSearchParams({ token }).toString(),
  });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
  expect(response.headers.get('cache-control')).toBe('no-store');
  const jwt = await response.text();
  const { payload, protectedHeader } = await jwtVerify(jwt, jwks, {
    issuer: service.context.config.issuer,
    audience: caller.client.clientId,
    typ: 'token-introspection+jwt',
  });
  expect(protectedHeader.typ).toBe('token-introspection+jwt');
  expect(typeof payload.iat).toBe('number');
  return payload.token_introspection as Record<string, unknown>;
}

describe('access tokens', () => {
  it('answers the RFC 7662 members for the issuing client and for a client of its audience', async () => {
    const token = await accessTokenFor(issuer);
    for (const caller of [issuer, resource]) {
      const response = await introspect(caller, token);
      expect(response.status).toBe(200);
      expect(response.body).toMatchObject({
        active: true,
        token_type: 'Bearer',
        client_id: issuer.client.clientId,
        sub: issuer.client.clientId,
        scope: 'read write',
        aud: 'https://api.writ.test',
        iss: service.context.config.issuer,
      });
      expect(typeof response.body.exp).toBe('number');
      expect(typeof response.body.jti).toBe('string');
    }
  });

  it('tells a client of another audience nothing: { active: false }, as for an unknown token', async () => {
    const token = await accessTokenFor(issuer);
    await expectInactive(stranger, token);
    await expectInactive(stranger, 'not-a-token');
    await expectInactive(resource, `${token.slice(0, -4)}AAAA`);
  });

  it('never answers a public client', async () => {
    const spa = await addClient(service, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.writ.test/cb'],
      scope: 'api',
    });
    const token = await accessTokenFor(issuer);
    const response = await postForm(service.url, '/oauth/introspect', {
      token,
      client_id: spa.client.clientId,
    });
    expect(response.body).toEqual({ active: false });
  });

  it("is inactive once the token's client is disabled", async () => {
    const doomed = await addServiceClient(service, { audiences: ['https://api.writ.test'] });
    const token = await accessTokenFor(doomed);
    expect((await introspect(resource, token)).body.active).toBe(true);
    expect(await disableClient(service.context, doomed.client.clientId)).toBe(true);
    await expectInactive(resource, token);
  });

  it('answers for first-party access tokens to a client of their audience', async () => {
    const tokens = await signInBody(service.url, email, password);
    const answer = await introspect(resource, tokens.access_token);
    expect(answer.body).toMatchObject({ active: true, client_id: 'writ', sub: userId });
  });

  it('is inactive once expired', async () => {
    const token = await accessTokenFor(issuer);
    service.clock.advance((service.context.config.accessTokenTtlSec + 1) * 1000);
    await expectInactive(resource, token);
  });

  it('requires client authentication', async () => {
    const token = await accessTokenFor(issuer);
    const anonymous = await postForm(service.url, '/oauth/introspect', { token });
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrong = await postForm(
      service.url,
      '/oauth/introspect',
      { token },
      { authorization: basic(resource.client.clientId, 'wcs_wrong') },
    );
    expect(wrong.status).toBe(401);
    const missing = await postForm(service.url, '/oauth/introspect', {}, auth(resource));
    expect(missing.status).toBe(400);
    expect(missing.body.error).toBe('invalid_request');
    const twice = await postForm(
      service.url,
      '/oauth/introspect',
      `token=${token}&token=${token}`,
      auth(resource),
    );
    expect(twice.status).toBe(400);
    expect(twice.body.error).toBe('invalid_request');
  });
});

describe('the revocation log', () => {
  async function revokedBy(target: 'jti' | 'sid' | 'sub' | 'kid') {
    const app = await addRefreshingClient(service);
    const userOfToken = await service.addUser(`kind-${target}-${Date.now()}@example.com`, password);
    const opened = await openClientSession(service, app.client, userOfToken);
    const [, payloadPart] = opened.accessToken.split('.');
    const claims = JSON.parse(Buffer.from(payloadPart ?? '', 'base64url').toString()) as {
      jti: string;
      sid: string;
      sub: string;
      iat: number;
    };
    const kid = decodeProtectedHeader(opened.accessToken).kid ?? '';
    // Active before the entry, judged by a client of its audience.
    expect((await introspect(resource, opened.accessToken)).body.active).toBe(true);
    const nowSec = Math.floor(service.clock.nowMs() / 1000);
    const value =
      target === 'jti'
        ? claims.jti
        : target === 'sid'
          ? claims.sid
          : target === 'kid'
            ? kid
            : claims.sub;
    await service.context.db.transaction((tx) =>
      appendRevocations(
        tx,
        [
          target === 'sub'
            ? { type: 'sub', value, issuedBefore: claims.iat + 1 }
            : { type: target, value },
        ],
        'session_deleted',
        nowSec,
      ),
    );
    return opened.accessToken;
  }

  for (const target of ['jti', 'sid', 'sub'] as const) {
    it(`makes a token inactive at once when a ${target} entry names it`, async () => {
      const token = await revokedBy(target);
      await expectInactive(resource, token);
    });
  }

  // Last in the file: revoking the signing key revokes every token the service issued since.
  kidCase = async () => {
    const token = await revokedBy('kid');
    await expectInactive(resource, token);
  };

  it('a sub entry spares tokens issued after its cut-off', async () => {
    const app = await addRefreshingClient(service);
    const someone = await service.addUser(`later-${Date.now()}@example.com`, password);
    const nowSec = Math.floor(service.clock.nowMs() / 1000);
    await service.context.db.transaction((tx) =>
      appendRevocations(
        tx,
        [{ type: 'sub', value: someone, issuedBefore: nowSec }],
        'session_deleted',
        nowSec,
      ),
    );
    const opened = await openClientSession(service, app.client, someone);
    expect((await introspect(resource, opened.accessToken)).body.active).toBe(true);
  });

  it('honours sign-out-everywhere of the user (sid and sub entries written by the real path)', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    expect((await introspect(resource, opened.accessToken)).body.active).toBe(true);
    const firstParty = await signInBody(service.url, email, password);
    const out = await call(service.url, 'POST', '/auth/sign-out-everywhere', {
      token: firstParty.access_token,
    });
    expect(out.status).toBeLessThan(300);
    await expectInactive(resource, opened.accessToken);
  });
});

describe('refresh tokens', () => {
  it('are active for the client holding them while unused and the session lives', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    const refreshToken = opened.refreshToken ?? '';
    const answer = await introspect(app, refreshToken, { token_type_hint: 'refresh_token' });
    expect(answer.body).toMatchObject({
      active: true,
      token_type: 'refresh_token',
      client_id: app.client.clientId,
      sub: userId,
      sid: opened.session.id,
    });
    // A wrong hint still finds it.
    expect(
      (await introspect(app, refreshToken, { token_type_hint: 'access_token' })).body.active,
    ).toBe(true);
    // Nobody else learns of it, not even a client of the session's audience.
    await expectInactive(resource, refreshToken);
    const rotated = await postForm(
      service.url,
      '/oauth/token',
      { grant_type: 'refresh_token', refresh_token: refreshToken },
      auth(app),
    );
    expect(rotated.status).toBe(200);
    await expectInactive(app, refreshToken);
    expect((await introspect(app, String(rotated.body.refresh_token))).body.active).toBe(true);
  });

  it('are inactive once their session is revoked', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    await revokeSession(service, userId, opened.session.id);
    await expectInactive(app, opened.refreshToken ?? '');
  });

  it('first-party refresh tokens are never introspectable', async () => {
    const tokens = await signInBody(service.url, email, password);
    await expectInactive(resource, tokens.refresh_token);
    await expectInactive(issuer, tokens.refresh_token);
  });
});

describe('RFC 9701 signed answers', () => {
  it('signs the answer for the caller, verifiable with the JWKS', async () => {
    const token = await accessTokenFor(issuer);
    const answer = await introspectAsJwt(resource, token);
    expect(answer).toMatchObject({ active: true, client_id: issuer.client.clientId });
    expect(answer).not.toHaveProperty('writ_access_token');
    expect(await introspectAsJwt(stranger, token)).toEqual({ active: false });
  });

  it('hands a phantom token’s JWT to a client of its audience, and to nobody else', async () => {
    const opaque = await addServiceClient(service, {
      access_token_format: 'opaque',
      audiences: ['https://api.writ.test'],
    });
    const token = await accessTokenFor(opaque);
    expect(token).toMatch(/^wat_/);
    const answer = await introspectAsJwt(resource, token);
    expect(answer.active).toBe(true);
    const inner = String(answer.writ_access_token);
    const { payload } = await jwtVerify(inner, jwks, {
      issuer: service.context.config.issuer,
      audience: 'https://api.writ.test',
      typ: 'at+jwt',
    });
    expect(payload.client_id).toBe(opaque.client.clientId);
    // The plain JSON answer never carries the JWT.
    const plain = await introspect(resource, token);
    expect(plain.body.active).toBe(true);
    expect(plain.body).not.toHaveProperty('writ_access_token');
    // The client the phantom token was issued to learns no claims of it.
    await expectInactive(opaque, token);
    await expectInactive(stranger, token);
  });
});

describe('a kid entry (last: it revokes the signing key)', () => {
  it('makes every token of that key inactive at once', async () => {
    await kidCase();
  });
});
