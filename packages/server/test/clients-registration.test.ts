import { createHash, generateKeyPairSync } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { findClient } from '../src/clients/find-client.ts';
import { readServiceFile } from './support/service-file.ts';

let service: TestService;
let adminKey: string;
let rsaJwks: { keys: Record<string, unknown>[] };
let rsaPrivateJwk: Record<string, unknown>;
let weakRsaJwk: Record<string, unknown>;
let ecJwk: Record<string, unknown>;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  const rsa = await generateKeyPair('RS256', { extractable: true });
  rsaJwks = { keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' }] };
  rsaPrivateJwk = { ...(await exportJWK(rsa.privateKey)), kid: 'rsa-1' };
  // jose refuses to make one this weak; node still can, which is what an attacker would use.
  weakRsaJwk = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({
    format: 'jwk',
  }) as Record<string, unknown>;
  ecJwk = await exportJWK((await generateKeyPair('ES256', { extractable: true })).publicKey);
});
afterAll(() => service.destroy());

const register = (body: unknown, token = adminKey) =>
  call(service.url, 'POST', '/admin/clients', { token, body });

const webApp = {
  client_name: 'Shop',
  redirect_uris: ['https://shop.example/callback'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid profile offline_access',
};

function sha256(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('base64url');
}

/** Every byte the service has written for its database (the file and its WAL). */
function databaseBytes(): Buffer {
  const files = readdirSync(service.dataDir).filter((name) => name.startsWith('writ.db'));
  return Buffer.concat(files.map((name) => readFileSync(join(service.dataDir, name))));
}

function storedRow(clientId: string): Record<string, unknown> {
  return readServiceFile(
    service,
    (db) =>
      db.prepare('SELECT * FROM oauth_clients WHERE client_id = ?').get(clientId) as Record<
        string,
        unknown
      >,
  );
}

describe('POST /admin/clients', () => {
  it('refuses callers without an admin key with 401, a consumer key included', async () => {
    expect((await call(service.url, 'POST', '/admin/clients', { body: webApp })).status).toBe(401);
    expect((await register(webApp, await service.addKey('consumer'))).status).toBe(401);
    expect((await call(service.url, 'GET', '/admin/clients')).status).toBe(401);
  });

  it('registers a confidential client: a generated id, a 256-bit secret shown once and stored only as its SHA-256', async () => {
    const answer = await register(webApp);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    const clientId = String(answer.body.client_id);
    const secret = String(answer.body.client_secret);
    expect(clientId).toMatch(/^wc_[A-Za-z0-9_-]{22}$/);
    expect(secret).toMatch(/^wcs_[A-Za-z0-9_-]{43}$/);
    expect(answer.body).toMatchObject({
      client_name: 'Shop',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: ['https://shop.example/callback'],
      scope: 'openid profile offline_access',
      audiences: ['https://api.writ.test'],
      access_token_format: 'jwt',
      dpop_bound_access_tokens: false,
      post_logout_redirect_uris: [],
      client_secret_expires_at: 0,
      disabled_at: null,
    });

    // Never again: not when shown, not when listed.
    const shown = await call(service.url, 'GET', `/admin/clients/${clientId}`, { token: adminKey });
    expect(shown.status).toBe(200);
    expect(shown.body.client_secret).toBeUndefined();
    expect(JSON.stringify(shown.body)).not.toContain(secret);
    const listed = await call(service.url, 'GET', '/admin/clients', { token: adminKey });
    expect(JSON.stringify(listed.body)).not.toContain(secret);
    expect(JSON.stringify(listed.body)).not.toContain(sha256(secret));
    expect((listed.body.clients as { client_id: string }[]).map((c) => c.client_id)).toContain(
      clientId,
    );

    // At rest: the hash, and the secret nowhere in the database's bytes.
    expect(storedRow(clientId).secret_hash).toBe(sha256(secret));
    expect(databaseBytes().includes(Buffer.from(secret))).toBe(false);
  });

  it('registers a private_key_jwt client, keeping only the public members of its keys', async () => {
    const answer = await register({
      client_name: 'Batch job',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      scope: 'reports:read',
      audiences: ['https://reports.example'],
      jwks: rsaJwks,
      access_token_format: 'opaque',
      dpop_bound_access_tokens: true,
    });
    expect(answer.status).toBe(201);
    expect(answer.body.client_secret).toBeUndefined();
    expect(answer.body).toMatchObject({
      response_types: [],
      redirect_uris: [],
      access_token_format: 'opaque',
      dpop_bound_access_tokens: true,
    });
    const row = storedRow(String(answer.body.client_id));
    expect(row.secret_hash).toBeNull();
    expect(JSON.parse(String(row.jwks))).toEqual(rsaJwks);
  });

  it('registers a public native client with PKCE-only authentication and a reverse-domain scheme', async () => {
    const answer = await register({
      client_name: 'Phone app',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['com.example.shop:/oauth/callback', 'http://127.0.0.1:8765/callback'],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid offline_access',
      post_logout_redirect_uris: ['com.example.shop:/signed-out'],
    });
    expect(answer.status).toBe(201);
    expect(answer.body.client_secret).toBeUndefined();
    expect(storedRow(String(answer.body.client_id)).kind).toBe('public');
  });

  it('stores redirect URIs exactly as given, query included', async () => {
    const uris = ['https://shop.example/cb?tenant=a', 'https://SHOP.example:8443/cb/'];
    const answer = await register({ ...webApp, redirect_uris: uris });
    expect(answer.status).toBe(201);
    expect(JSON.parse(String(storedRow(String(answer.body.client_id)).redirect_uris))).toEqual(
      uris,
    );
  });

  const refusals: [string, () => unknown, string][] = [
    ['an unknown member', () => ({ ...webApp, client_secret: 'chosen-by-me' }), 'unknown_member'],
    ['a body that is not an object', () => [webApp], 'invalid_request'],
    ['a missing name', () => ({ ...webApp, client_name: undefined }), 'invalid_client_name'],
    ['an empty name', () => ({ ...webApp, client_name: '' }), 'invalid_client_name'],
    ['a blank name', () => ({ ...webApp, client_name: '   ' }), 'invalid_client_name'],
    [
      'a name with a zero-width space',
      () => ({ ...webApp, client_name: 'Sh\u200bop' }),
      'invalid_client_name',
    ],
    [
      'a 101-character name',
      () => ({ ...webApp, client_name: 'x'.repeat(101) }),
      'invalid_client_name',
    ],
    [
      'client_secret_jwt',
      () => ({ ...webApp, token_endpoint_auth_method: 'client_secret_jwt' }),
      'invalid_auth_method',
    ],
    [
      'tls_client_auth',
      () => ({ ...webApp, token_endpoint_auth_method: 'tls_client_auth' }),
      'invalid_auth_method',
    ],
    ['the implicit grant', () => ({ ...webApp, grant_types: ['implicit'] }), 'invalid_grant_types'],
    ['the password grant', () => ({ ...webApp, grant_types: ['password'] }), 'invalid_grant_types'],
    ['no grant at all', () => ({ ...webApp, grant_types: [] }), 'invalid_grant_types'],
    [
      'a grant twice',
      () => ({ ...webApp, grant_types: ['authorization_code', 'authorization_code'] }),
      'invalid_grant_types',
    ],
    [
      'refresh_token without authorization_code',
      () => ({ client_name: 'x', grant_types: ['client_credentials', 'refresh_token'] }),
      'invalid_grant_types',
    ],
    [
      'client_credentials for a public client',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'none',
        grant_types: ['client_credentials'],
      }),
      'invalid_grant_types',
    ],
    [
      'response_types token',
      () => ({ ...webApp, response_types: ['token'] }),
      'invalid_response_types',
    ],
    [
      'response_types code without authorization_code',
      () => ({ client_name: 'x', grant_types: ['client_credentials'], response_types: ['code'] }),
      'invalid_response_types',
    ],
    [
      'plain http to a non-loopback host',
      () => ({ ...webApp, redirect_uris: ['http://shop.example/callback'] }),
      'invalid_redirect_uri',
    ],
    [
      'a fragment',
      () => ({ ...webApp, redirect_uris: ['https://shop.example/callback#x'] }),
      'invalid_redirect_uri',
    ],
    [
      'an empty fragment',
      () => ({ ...webApp, redirect_uris: ['https://shop.example/callback#'] }),
      'invalid_redirect_uri',
    ],
    [
      'credentials in the URI',
      () => ({ ...webApp, redirect_uris: ['https://user:pw@shop.example/callback'] }),
      'invalid_redirect_uri',
    ],
    ['a relative URI', () => ({ ...webApp, redirect_uris: ['/callback'] }), 'invalid_redirect_uri'],
    [
      'a javascript: URI',
      () => ({ ...webApp, redirect_uris: ['javascript:alert(1)'] }),
      'invalid_redirect_uri',
    ],
    [
      'a data: URI',
      () => ({ ...webApp, redirect_uris: ['data:text/html,hi'] }),
      'invalid_redirect_uri',
    ],
    [
      'a file: URI',
      () => ({ ...webApp, redirect_uris: ['file:///etc/passwd'] }),
      'invalid_redirect_uri',
    ],
    [
      'a private-use scheme for a confidential client',
      () => ({ ...webApp, redirect_uris: ['com.example.shop:/callback'] }),
      'invalid_redirect_uri',
    ],
    [
      'a private-use scheme that is not a reverse domain',
      () => ({
        ...webApp,
        token_endpoint_auth_method: 'none',
        redirect_uris: ['shopapp:/callback'],
      }),
      'invalid_redirect_uri',
    ],
    [
      'leading whitespace',
      () => ({ ...webApp, redirect_uris: [' https://shop.example/callback'] }),
      'invalid_redirect_uri',
    ],
    [
      'a URI over 2000 characters',
      () => ({ ...webApp, redirect_uris: [`https://shop.example/${'a'.repeat(2000)}`] }),
      'invalid_redirect_uri',
    ],
    [
      '21 redirect URIs',
      () => ({
        ...webApp,
        redirect_uris: Array.from({ length: 21 }, (_, i) => `https://shop.example/${i}`),
      }),
      'invalid_redirect_uri',
    ],
    [
      'a redirect URI twice',
      () => ({ ...webApp, redirect_uris: ['https://shop.example/cb', 'https://shop.example/cb'] }),
      'invalid_redirect_uri',
    ],
    [
      'authorization_code without a redirect URI',
      () => ({ ...webApp, redirect_uris: [] }),
      'invalid_redirect_uri',
    ],
    [
      'a redirect URI without authorization_code',
      () => ({
        client_name: 'x',
        grant_types: ['client_credentials'],
        redirect_uris: ['https://shop.example/cb'],
      }),
      'invalid_redirect_uri',
    ],
    ['a scope with a quote', () => ({ ...webApp, scope: 'openid "x"' }), 'invalid_scope'],
    ['a scope given twice', () => ({ ...webApp, scope: 'openid openid' }), 'invalid_scope'],
    ['a doubled space in scope', () => ({ ...webApp, scope: 'openid  profile' }), 'invalid_scope'],
    ['a scope list, not a string', () => ({ ...webApp, scope: ['openid'] }), 'invalid_scope'],
    [
      'openid without authorization_code',
      () => ({ client_name: 'x', grant_types: ['client_credentials'], scope: 'openid' }),
      'invalid_scope',
    ],
    [
      'offline_access without refresh_token',
      () => ({ ...webApp, grant_types: ['authorization_code'], scope: 'offline_access' }),
      'invalid_scope',
    ],
    ['no audience', () => ({ ...webApp, audiences: [] }), 'invalid_audience'],
    [
      'an audience that is not a URI',
      () => ({ ...webApp, audiences: ['reports api'] }),
      'invalid_audience',
    ],
    ['a relative audience', () => ({ ...webApp, audiences: ['reports'] }), 'invalid_audience'],
    [
      'an audience with a fragment',
      () => ({ ...webApp, audiences: ['https://reports.example/#x'] }),
      'invalid_audience',
    ],
    [
      'private_key_jwt without jwks',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
      }),
      'invalid_jwks',
    ],
    [
      'an RSA key of 1024 bits',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [weakRsaJwk] },
      }),
      'invalid_jwks',
    ],
    [
      'a private key',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [rsaPrivateJwk] },
      }),
      'invalid_jwks',
    ],
    [
      'a symmetric key',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0LXNlY3JldA' }] },
      }),
      'invalid_jwks',
    ],
    [
      'a key for HS256',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [{ ...rsaJwks.keys[0], alg: 'HS256' }] },
      }),
      'invalid_jwks',
    ],
    [
      'a P-256 key claiming ES384',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [{ ...ecJwk, alg: 'ES384' }] },
      }),
      'invalid_jwks',
    ],
    [
      'an encryption key',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [{ ...ecJwk, use: 'enc' }] },
      }),
      'invalid_jwks',
    ],
    [
      'two keys without kids',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [ecJwk, ecJwk] },
      }),
      'invalid_jwks',
    ],
    [
      'a point that is not on the curve',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks: { keys: [{ ...ecJwk, y: ecJwk.x }] },
      }),
      'invalid_jwks',
    ],
    ['jwks with a secret-based method', () => ({ ...webApp, jwks: rsaJwks }), 'invalid_jwks'],
    [
      'jwks_uri',
      () => ({
        client_name: 'x',
        token_endpoint_auth_method: 'private_key_jwt',
        grant_types: ['client_credentials'],
        jwks_uri: 'https://x.example/jwks',
      }),
      'jwks_uri_unsupported',
    ],
    [
      'an unknown access token format',
      () => ({ ...webApp, access_token_format: 'paseto' }),
      'invalid_access_token_format',
    ],
    [
      'a DPoP setting that is not a boolean',
      () => ({ ...webApp, dpop_bound_access_tokens: 'yes' }),
      'invalid_dpop_setting',
    ],
    [
      'a back-channel logout URI over plain http',
      () => ({ ...webApp, backchannel_logout_uri: 'http://shop.example/logout' }),
      'invalid_backchannel_logout_uri',
    ],
    [
      'a back-channel logout URI with a fragment',
      () => ({ ...webApp, backchannel_logout_uri: 'https://shop.example/logout#x' }),
      'invalid_backchannel_logout_uri',
    ],
    [
      'a back-channel logout URI without authorization_code',
      () => ({
        client_name: 'x',
        grant_types: ['client_credentials'],
        backchannel_logout_uri: 'https://shop.example/logout',
      }),
      'invalid_backchannel_logout_uri',
    ],
    [
      'a post-logout redirect URI with a fragment',
      () => ({ ...webApp, post_logout_redirect_uris: ['https://shop.example/bye#x'] }),
      'invalid_post_logout_redirect_uri',
    ],
    [
      'a post-logout redirect URI without authorization_code',
      () => ({
        client_name: 'x',
        grant_types: ['client_credentials'],
        post_logout_redirect_uris: ['https://shop.example/bye'],
      }),
      'invalid_post_logout_redirect_uri',
    ],
  ];

  it.each(refusals)('refuses %s with 400 and a fixed description', async (_name, body, code) => {
    const before = await call(service.url, 'GET', '/admin/clients', { token: adminKey });
    const answer = await register(body());
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe(code);
    if (code !== 'invalid_request') {
      expect(String(answer.body.error_description).length).toBeGreaterThan(10);
      // Fixed text: nothing of what was sent comes back.
      expect(String(answer.body.error_description)).not.toContain('shop.example');
    }
    const after = await call(service.url, 'GET', '/admin/clients', { token: adminKey });
    expect((after.body.clients as unknown[]).length).toBe(
      (before.body.clients as unknown[]).length,
    );
  });
});

describe('GET, DELETE /admin/clients/:id and POST /admin/clients/:id/secret', () => {
  it('answers 404 client_not_found for an unknown id', async () => {
    for (const [method, path] of [
      ['GET', '/admin/clients/wc_unknown'],
      ['DELETE', '/admin/clients/wc_unknown'],
      ['POST', '/admin/clients/wc_unknown/secret'],
    ] as const) {
      const answer = await call(service.url, method, path, { token: adminKey });
      expect(answer.status).toBe(404);
      expect(answer.body.error).toBe('client_not_found');
    }
  });

  it('disables a client: shown with disabled_at, a second disable is harmless, its secret cannot be rotated', async () => {
    const created = await register(webApp);
    const path = `/admin/clients/${created.body.client_id}`;
    const clientId = String(created.body.client_id);
    expect((await findClient(service.context, clientId))?.clientId).toBe(clientId);
    service.clock.advance(1000);
    expect((await call(service.url, 'DELETE', path, { token: adminKey })).status).toBe(204);
    const shown = await call(service.url, 'GET', path, { token: adminKey });
    expect(shown.body.disabled_at).toBe(Math.floor(service.clock.nowMs() / 1000));
    expect((await call(service.url, 'DELETE', path, { token: adminKey })).status).toBe(204);
    // The flow /oauth/authorize and /oauth/par use no longer finds it.
    expect(await findClient(service.context, clientId)).toBeUndefined();
    expect(await findClient(service.context, 'wc_unknown')).toBeUndefined();
    const rotated = await call(service.url, 'POST', `${path}/secret`, { token: adminKey });
    expect(rotated.status).toBe(404);
  });

  it('rotates a secret: a new generated one, shown once, its hash replacing the old', async () => {
    const created = await register(webApp);
    const clientId = String(created.body.client_id);
    const rotated = await call(service.url, 'POST', `/admin/clients/${clientId}/secret`, {
      token: adminKey,
    });
    expect(rotated.status).toBe(200);
    expect(rotated.headers.get('cache-control')).toBe('no-store');
    const secret = String(rotated.body.client_secret);
    expect(secret).toMatch(/^wcs_[A-Za-z0-9_-]{43}$/);
    expect(secret).not.toBe(created.body.client_secret);
    const row = storedRow(clientId);
    expect(row.secret_hash).toBe(sha256(secret));
    expect(row.previous_secret_hash).toBeNull();
  });

  it('refuses to rotate the secret of a client that has none, and a grace period out of range', async () => {
    const keyClient = await register({
      client_name: 'Keys',
      token_endpoint_auth_method: 'private_key_jwt',
      grant_types: ['client_credentials'],
      jwks: rsaJwks,
    });
    const noSecret = await call(
      service.url,
      'POST',
      `/admin/clients/${keyClient.body.client_id}/secret`,
      {
        token: adminKey,
      },
    );
    expect(noSecret.status).toBe(409);
    expect(noSecret.body.error).toBe('client_has_no_secret');
    const created = await register(webApp);
    const tooLong = await call(
      service.url,
      'POST',
      `/admin/clients/${created.body.client_id}/secret`,
      {
        token: adminKey,
        body: { grace_period_sec: 86401 },
      },
    );
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error).toBe('invalid_rotation_request');
  });
});
