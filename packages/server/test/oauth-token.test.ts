import { createRemoteJWKSet, decodeJwt, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { prunePhantomTokens } from '../src/oauth/prune-phantom-tokens.ts';
import { hashSecret } from '../src/platform/crypto/random.ts';
import {
  addClient,
  addRefreshingClient,
  addServiceClient,
  basic,
  openClientSession,
  postForm,
  type RegisteredClient,
  revokeSession,
} from './support/oauth.ts';

let service: TestService;
let jwks: ReturnType<typeof createRemoteJWKSet>;
let serviceClient: RegisteredClient;
let userId: string;

beforeAll(async () => {
  service = await startTestService();
  jwks = createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`));
  serviceClient = await addServiceClient(service);
  userId = await service.addUser('oauth-token@example.com', 'correct horse battery staple');
});
afterAll(() => service.destroy());

const token = (form: Record<string, string> | string, headers: Record<string, string> = {}) =>
  postForm(service.url, '/oauth/token', form, headers);

function basicOf(registered: RegisteredClient): Record<string, string> {
  return { authorization: basic(registered.client.clientId, registered.secret ?? '') };
}

function expectOAuthError(
  response: { status: number; headers: Headers; body: Record<string, unknown> },
  status: number,
  error: string,
) {
  expect(response.status).toBe(status);
  expect(response.body.error).toBe(error);
  expect(typeof response.body.error_description).toBe('string');
  expect(Object.keys(response.body).sort()).toEqual(['error', 'error_description']);
  expect(response.headers.get('cache-control')).toBe('no-store');
  expect(response.headers.get('pragma')).toBe('no-cache');
}

async function verifyAccessToken(accessToken: string, audience: string) {
  const { payload, protectedHeader } = await jwtVerify(accessToken, jwks, {
    issuer: service.context.config.issuer,
    audience,
    typ: 'at+jwt',
  });
  return { payload, protectedHeader };
}

describe('client_credentials', () => {
  it('issues an RFC 9068 access token for the client itself, with no refresh token', async () => {
    const response = await token({ grant_type: 'client_credentials' }, basicOf(serviceClient));
    expect(response.status).toBe(200);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(response.headers.get('pragma')).toBe('no-cache');
    expect(response.body.token_type).toBe('Bearer');
    expect(response.body.expires_in).toBe(service.context.config.accessTokenTtlSec);
    expect(response.body.scope).toBe('read write');
    expect(response.body).not.toHaveProperty('refresh_token');
    const { payload } = await verifyAccessToken(
      String(response.body.access_token),
      'https://api.writ.test',
    );
    expect(payload.sub).toBe(serviceClient.client.clientId);
    expect(payload.client_id).toBe(serviceClient.client.clientId);
    expect(payload.aud).toBe('https://api.writ.test');
    expect(payload.scope).toBe('read write');
    expect(payload).not.toHaveProperty('sid');
    expect(payload).not.toHaveProperty('cnf');
    expect(typeof payload.jti).toBe('string');
    expect(payload.exp).toBe((payload.iat ?? 0) + service.context.config.accessTokenTtlSec);
  });

  it('accepts client_secret_post for a client registered with it', async () => {
    const posting = await addServiceClient(service, {
      token_endpoint_auth_method: 'client_secret_post',
    });
    const response = await token({
      grant_type: 'client_credentials',
      client_id: posting.client.clientId,
      client_secret: posting.secret ?? '',
    });
    expect(response.status).toBe(200);
  });

  it('narrows the scope to what is asked and refuses scopes the client may not have', async () => {
    const narrowed = await token(
      { grant_type: 'client_credentials', scope: 'read' },
      basicOf(serviceClient),
    );
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    expect(decodeJwt(String(narrowed.body.access_token)).scope).toBe('read');
    expectOAuthError(
      await token(
        { grant_type: 'client_credentials', scope: 'read admin' },
        basicOf(serviceClient),
      ),
      400,
      'invalid_scope',
    );
    expectOAuthError(
      await token(
        { grant_type: 'client_credentials', scope: 'read  write' },
        basicOf(serviceClient),
      ),
      400,
      'invalid_scope',
    );
  });

  it('takes the audience from resource (RFC 8707) and refuses a resource the client lacks', async () => {
    const other = await token(
      { grant_type: 'client_credentials', resource: 'https://other.writ.test' },
      basicOf(serviceClient),
    );
    expect(other.status).toBe(200);
    await verifyAccessToken(String(other.body.access_token), 'https://other.writ.test');
    expectOAuthError(
      await token(
        { grant_type: 'client_credentials', resource: 'https://evil.example' },
        basicOf(serviceClient),
      ),
      400,
      'invalid_target',
    );
  });

  it('gives an opaque wat_ token to a client configured for phantom tokens', async () => {
    const opaque = await addServiceClient(service, { access_token_format: 'opaque' });
    const response = await token({ grant_type: 'client_credentials' }, basicOf(opaque));
    expect(response.status).toBe(200);
    expect(String(response.body.access_token)).toMatch(/^wat_[A-Za-z0-9_-]{43}$/);
  });

  it('forgets opaque tokens once they expired (housekeeping), never before', async () => {
    const opaque = await addServiceClient(service, { access_token_format: 'opaque' });
    const response = await token({ grant_type: 'client_credentials' }, basicOf(opaque));
    const hash = hashSecret(String(response.body.access_token));
    const issuedAt = service.clock.nowMs();
    await prunePhantomTokens(service.context);
    expect(await service.context.db.phantomTokens.findLive(hash, issuedAt)).toBeDefined();
    service.clock.advance((service.context.config.accessTokenTtlSec + 1) * 1000);
    try {
      expect(await prunePhantomTokens(service.context)).toBeGreaterThanOrEqual(1);
      expect(await service.context.db.phantomTokens.findLive(hash, issuedAt)).toBeUndefined();
    } finally {
      service.clock.reset();
    }
  });
});

describe('errors exactly as RFC 6749 §5.2 names them', () => {
  it('answers a wrong secret with 401 invalid_client and the Basic challenge', async () => {
    const response = await token(
      { grant_type: 'client_credentials' },
      { authorization: basic(serviceClient.client.clientId, 'wcs_wrong') },
    );
    expectOAuthError(response, 401, 'invalid_client');
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
  });

  it('answers an unknown client and a missing authentication with invalid_client', async () => {
    expectOAuthError(
      await token({ grant_type: 'client_credentials' }, { authorization: basic('wc_nobody', 'x') }),
      401,
      'invalid_client',
    );
    expectOAuthError(await token({ grant_type: 'client_credentials' }), 401, 'invalid_client');
  });

  it('refuses a parameter given twice, before anything else', async () => {
    expectOAuthError(
      await token(
        'grant_type=client_credentials&grant_type=client_credentials',
        basicOf(serviceClient),
      ),
      400,
      'invalid_request',
    );
    expectOAuthError(
      await token('grant_type=client_credentials&scope=read&scope=write', basicOf(serviceClient)),
      400,
      'invalid_request',
    );
  });

  it('refuses a JSON body, a body of no type, and broken percent-encoding with invalid_request', async () => {
    const json = await fetch(`${service.url}/oauth/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...basicOf(serviceClient) },
      body: JSON.stringify({ grant_type: 'client_credentials' }),
    });
    expectOAuthError(
      { status: json.status, headers: json.headers, body: await json.json() },
      400,
      'invalid_request',
    );
    const none = await fetch(`${service.url}/oauth/token`, {
      method: 'POST',
      headers: basicOf(serviceClient),
    });
    expectOAuthError(
      { status: none.status, headers: none.headers, body: await none.json() },
      400,
      'invalid_request',
    );
    expectOAuthError(
      await token('grant_type=client_credentials&scope=%zz', basicOf(serviceClient)),
      400,
      'invalid_request',
    );
  });

  it('accepts a form content type with a charset parameter', async () => {
    const response = await token('grant_type=client_credentials', {
      ...basicOf(serviceClient),
      'content-type': 'application/x-www-form-urlencoded; charset=UTF-8',
    });
    expect(response.status).toBe(200);
  });

  it('answers a missing grant_type with invalid_request', async () => {
    expectOAuthError(
      await token({ scope: 'read' }, basicOf(serviceClient)),
      400,
      'invalid_request',
    );
  });

  it('has no implicit or password grant: unsupported_grant_type', async () => {
    for (const grantType of ['password', 'implicit', 'token', 'urn:example:unknown']) {
      expectOAuthError(
        await token(
          { grant_type: grantType, username: 'a@example.com', password: 'x' },
          basicOf(serviceClient),
        ),
        400,
        'unsupported_grant_type',
      );
    }
  });

  it('answers a grant the client is not registered for with unauthorized_client', async () => {
    const refreshing = await addRefreshingClient(service);
    expectOAuthError(
      await token({ grant_type: 'client_credentials' }, basicOf(refreshing)),
      400,
      'unauthorized_client',
    );
    expectOAuthError(
      await token({ grant_type: 'refresh_token', refresh_token: 'wrt_x' }, basicOf(serviceClient)),
      400,
      'unauthorized_client',
    );
  });

  it('never echoes input in an error description', async () => {
    const marker = 'ZZmarkerZZ';
    const responses = [
      await token({ grant_type: marker }, basicOf(serviceClient)),
      await token({ grant_type: 'client_credentials', scope: marker }, basicOf(serviceClient)),
      await token({ grant_type: 'client_credentials', resource: marker }, basicOf(serviceClient)),
      await token({ grant_type: 'client_credentials' }, { authorization: basic(marker, marker) }),
    ];
    for (const response of responses) {
      expect(response.status).toBeGreaterThanOrEqual(400);
      expect(JSON.stringify(response.body)).not.toContain(marker);
    }
  });
});

describe('refresh_token', () => {
  async function refreshWith(registered: RegisteredClient, refreshToken: string, extra = {}) {
    return token(
      { grant_type: 'refresh_token', refresh_token: refreshToken, ...extra },
      basicOf(registered),
    );
  }

  it('rotates: a new refresh token, an access token tied to the session', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    const first = await refreshWith(app, opened.refreshToken ?? '');
    expect(first.status).toBe(200);
    expect(first.headers.get('cache-control')).toBe('no-store');
    expect(first.body.token_type).toBe('Bearer');
    expect(first.body.scope).toBe('api read write');
    expect(first.body.refresh_token).not.toBe(opened.refreshToken);
    const { payload } = await verifyAccessToken(
      String(first.body.access_token),
      'https://api.writ.test',
    );
    expect(payload.sub).toBe(userId);
    expect(payload.sid).toBe(opened.session.id);
    expect(payload.client_id).toBe(app.client.clientId);
    const second = await refreshWith(app, String(first.body.refresh_token));
    expect(second.status).toBe(200);
  });

  it('revokes the whole family when a rotated token is presented again', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    const first = await refreshWith(app, opened.refreshToken ?? '');
    expect(first.status).toBe(200);
    expectOAuthError(await refreshWith(app, opened.refreshToken ?? ''), 400, 'invalid_grant');
    // The thief's reuse ended the session: the holder's newest token is dead too.
    expectOAuthError(
      await refreshWith(app, String(first.body.refresh_token)),
      400,
      'invalid_grant',
    );
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).not.toBeNull();
  });

  it("treats another client presenting a client's refresh token as theft", async () => {
    const owner = await addRefreshingClient(service);
    const thief = await addRefreshingClient(service);
    const opened = await openClientSession(service, owner.client, userId);
    expectOAuthError(await refreshWith(thief, opened.refreshToken ?? ''), 400, 'invalid_grant');
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).not.toBeNull();
    expectOAuthError(await refreshWith(owner, opened.refreshToken ?? ''), 400, 'invalid_grant');
  });

  it('refuses a first-party refresh token here, revoking its session as a wrong transport', async () => {
    const app = await addRefreshingClient(service);
    const tokens = await signInBody(
      service.url,
      'oauth-token@example.com',
      'correct horse battery staple',
    );
    expectOAuthError(await refreshWith(app, tokens.refresh_token), 400, 'invalid_grant');
    const again = await call(service.url, 'POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh_token },
    });
    expect(again.status).toBe(401);
  });

  it('refuses an OAuth refresh token at /auth/refresh, revoking its session', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    const firstParty = await call(service.url, 'POST', '/auth/refresh', {
      body: { refresh_token: opened.refreshToken },
    });
    expect(firstParty.status).toBe(401);
    const session = await service.context.db.sessions.find(opened.session.id);
    expect(session?.revokedAt).not.toBeNull();
  });

  it('narrows the scope per access token, refuses widening, and spends no token on a refusal', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId, { scope: 'api read' });
    expectOAuthError(
      await refreshWith(app, opened.refreshToken ?? '', { scope: 'api read write' }),
      400,
      'invalid_scope',
    );
    expectOAuthError(
      await refreshWith(app, opened.refreshToken ?? '', { resource: 'https://other.writ.test' }),
      400,
      'invalid_target',
    );
    // Neither refusal spent the token: it still rotates (a spent one would revoke the family).
    const narrowed = await refreshWith(app, opened.refreshToken ?? '', { scope: 'read' });
    expect(narrowed.status).toBe(200);
    expect(narrowed.body.scope).toBe('read');
    expect(decodeJwt(String(narrowed.body.access_token)).scope).toBe('read');
    // The family keeps its original grant: the next refresh may ask for all of it again.
    const full = await refreshWith(app, String(narrowed.body.refresh_token));
    expect(full.body.scope).toBe('api read');
  });

  it('gives a client configured for phantom tokens an opaque access token on refresh too', async () => {
    const app = await addRefreshingClient(service, { access_token_format: 'opaque' });
    const opened = await openClientSession(service, app.client, userId);
    expect(opened.accessToken).toMatch(/^wat_/);
    const refreshed = await refreshWith(app, opened.refreshToken ?? '');
    expect(refreshed.status).toBe(200);
    expect(String(refreshed.body.access_token)).toMatch(/^wat_[A-Za-z0-9_-]{43}$/);
  });

  it('answers an unknown or missing refresh token with invalid_grant / invalid_request', async () => {
    const app = await addRefreshingClient(service);
    expectOAuthError(await refreshWith(app, 'wrt_unknown'), 400, 'invalid_grant');
    expectOAuthError(
      await token({ grant_type: 'refresh_token' }, basicOf(app)),
      400,
      'invalid_request',
    );
  });

  it('refuses a refresh once the session was revoked', async () => {
    const app = await addRefreshingClient(service);
    const opened = await openClientSession(service, app.client, userId);
    await revokeSession(service, userId, opened.session.id);
    expectOAuthError(await refreshWith(app, opened.refreshToken ?? ''), 400, 'invalid_grant');
  });
});

describe('browser-based clients', () => {
  it('may call the token and revocation endpoints from another origin, without credentials', async () => {
    for (const path of ['/oauth/token', '/oauth/revoke']) {
      const preflight = await fetch(`${service.url}${path}`, {
        method: 'OPTIONS',
        headers: {
          origin: 'https://spa.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type',
        },
      });
      expect(preflight.status).toBe(204);
      expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
      expect(preflight.headers.get('access-control-allow-methods')).toBe('POST');
      expect(preflight.headers.get('access-control-allow-headers')).toContain('content-type');
      expect(preflight.headers.get('access-control-allow-credentials')).toBeNull();
    }
    const answered = await token(
      { grant_type: 'client_credentials' },
      { ...basicOf(serviceClient), origin: 'https://spa.example' },
    );
    expect(answered.status).toBe(200);
    expect(answered.headers.get('access-control-allow-origin')).toBe('*');
    expect(answered.headers.get('access-control-expose-headers')).toContain('DPoP-Nonce');
  });

  it('get no cross-origin grant from the first-party /auth endpoints', async () => {
    const refresh = await fetch(`${service.url}/auth/refresh`, {
      method: 'POST',
      headers: { origin: 'https://spa.example', 'content-type': 'application/json' },
      body: JSON.stringify({ refresh_token: 'wrt_x' }),
    });
    await refresh.arrayBuffer();
    expect(refresh.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await fetch(`${service.url}/auth/refresh`, {
      method: 'OPTIONS',
      headers: { origin: 'https://spa.example', 'access-control-request-method': 'POST' },
    });
    await preflight.arrayBuffer();
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('a public client', () => {
  it('cannot use client_credentials even if it names itself', async () => {
    const spa = await addClient(service, {
      token_endpoint_auth_method: 'none',
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: ['https://spa.writ.test/callback'],
      scope: 'api',
    });
    expectOAuthError(
      await token({ grant_type: 'client_credentials', client_id: spa.client.clientId }),
      400,
      'unauthorized_client',
    );
  });
});
