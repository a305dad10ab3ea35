import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { findUsableRegistrationToken } from '../src/clients/find-usable-registration-token.ts';
import { registerClient } from '../src/clients/register-client.ts';
import { ConfigError, loadConfig } from '../src/platform/config/load-config.ts';
import { postForm } from './support/oauth.ts';

const app = {
  client_name: 'Partner app',
  redirect_uris: ['https://partner.example/cb'],
  grant_types: ['authorization_code', 'refresh_token'],
  scope: 'openid offline_access',
};

async function issueToken(
  service: TestService,
  adminKey: string,
  body: Record<string, unknown> = {},
): Promise<string> {
  const answer = await call(service.url, 'POST', '/admin/registration-tokens', {
    token: adminKey,
    body: { name: 'partner', scope: 'openid offline_access profile', ...body },
  });
  if (answer.status !== 201) throw new Error(JSON.stringify(answer.body));
  return String(answer.body.registration_token);
}

describe('POST /oauth/register when dynamic registration is off (the default)', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.destroy());

  it('answers 404, as for any unknown path, even to a valid initial access token', async () => {
    const adminKey = await service.addKey('admin');
    const token = await issueToken(service, adminKey);
    const answer = await call(service.url, 'POST', '/oauth/register', { token, body: app });
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: 'not_found' });
  });
});

describe('the WRIT_DYNAMIC_CLIENT_REGISTRATION setting', () => {
  it('takes only true or false', () => {
    const env = { WRIT_MASTER_KEY: randomBytes(32).toString('base64url') };
    const load = (value: string) =>
      loadConfig({
        env: { ...env, WRIT_DYNAMIC_CLIENT_REGISTRATION: value },
        cwd: '/nonexistent',
        warn: () => {},
      });
    expect(load('true').dynamicClientRegistration).toBe(true);
    expect(load('false').dynamicClientRegistration).toBe(false);
    expect(loadConfig({ env, cwd: '/nonexistent', warn: () => {} }).dynamicClientRegistration).toBe(
      false,
    );
    expect(() => load('yes')).toThrow(ConfigError);
    expect(() => load('1')).toThrow(/WRIT_DYNAMIC_CLIENT_REGISTRATION must be true or false/);
  });
});

describe('POST /oauth/register when dynamic registration is on', () => {
  let service: TestService;
  let adminKey: string;
  beforeAll(async () => {
    service = await startTestService({ WRIT_DYNAMIC_CLIENT_REGISTRATION: 'true' });
    adminKey = await service.addKey('admin');
  });
  afterAll(() => service.destroy());

  const registerWith = (token: string | undefined, body: unknown = app) =>
    call(service.url, 'POST', '/oauth/register', token === undefined ? { body } : { token, body });

  function expectInvalidToken(answer: Awaited<ReturnType<typeof registerWith>>): void {
    expect(answer.status).toBe(401);
    expect(answer.body.error).toBe('invalid_token');
    expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  }

  it('refuses a request without an initial access token, and an admin key in its place', async () => {
    expectInvalidToken(await registerWith(undefined));
    expectInvalidToken(await registerWith(adminKey));
    expectInvalidToken(await registerWith(`wrt_${randomBytes(32).toString('base64url')}`));
  });

  it('registers a client with an initial access token, as RFC 7591 §3.2.1 answers', async () => {
    const token = await issueToken(service, adminKey);
    const answer = await registerWith(token);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(answer.body).toMatchObject({
      client_id: expect.stringMatching(/^wc_/),
      client_secret: expect.stringMatching(/^wcs_/),
      client_secret_expires_at: 0,
      client_id_issued_at: expect.any(Number),
      client_name: 'Partner app',
      token_endpoint_auth_method: 'client_secret_basic',
      redirect_uris: ['https://partner.example/cb'],
      audiences: ['https://api.writ.test'],
    });
    // The admin API sees it like any other client.
    const shown = await call(service.url, 'GET', `/admin/clients/${answer.body.client_id}`, {
      token: adminKey,
    });
    expect(shown.status).toBe(200);
  });

  it('spends the token: a second registration with it is refused', async () => {
    const token = await issueToken(service, adminKey);
    expect((await registerWith(token)).status).toBe(201);
    expectInvalidToken(await registerWith(token));
  });

  it('lets exactly one of two racing registrations spend a token', async () => {
    const token = await issueToken(service, adminKey);
    const answers = await Promise.all(Array.from({ length: 5 }, () => registerWith(token)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([201, 401, 401, 401, 401]);
  });

  it('spends a token once even when the registrations reach the database together', async () => {
    // Past the HTTP layer, where requests are often served one after another: five registrations
    // that all read the token as unspent, so only the conditional spend can stop four of them.
    const raw = await issueToken(service, adminKey);
    const token = await findUsableRegistrationToken(service.context, `Bearer ${raw}`);
    if (token === undefined) throw new Error('the token was just issued');
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        registerClient(service.context, app, { via: 'dynamic', token }),
      ),
    );
    expect(results.filter((result) => result.ok)).toHaveLength(1);
    expect(
      results.filter((result) => !result.ok).map((result) => !result.ok && result.problem),
    ).toEqual(Array(4).fill('registration_token_used'));
  });

  it('refuses an expired token', async () => {
    const token = await issueToken(service, adminKey, { expires_in: 60 });
    service.clock.advance(61_000);
    try {
      expectInvalidToken(await registerWith(token));
    } finally {
      service.clock.advance(-61_000);
    }
  });

  it('validates like the admin API, and a refused registration leaves the token unspent', async () => {
    const token = await issueToken(service, adminKey);
    const badRedirect = await registerWith(token, {
      ...app,
      redirect_uris: ['http://partner.example/cb'],
    });
    expect(badRedirect.status).toBe(400);
    expect(badRedirect.body.error).toBe('invalid_redirect_uri');
    expect(badRedirect.headers.get('cache-control')).toBe('no-store');
    const badGrant = await registerWith(token, { ...app, grant_types: ['implicit'] });
    expect(badGrant.status).toBe(400);
    expect(badGrant.body.error).toBe('invalid_client_metadata');
    expect(String(badGrant.body.error_description)).toContain('grant_types');
    expect((await registerWith(token)).status).toBe(201);
  });

  it.each([
    'https://127.0.0.1/logout',
    'http://localhost:8080/logout',
    'https://app.localhost/logout',
    'https://10.0.0.5/logout',
    'https://172.20.1.1/logout',
    'https://192.168.1.10/logout',
    'https://169.254.169.254/latest/meta-data',
    'https://100.64.0.1/logout',
    'https://[::1]/logout',
    'https://[fd00::1]/logout',
    'https://[fe80::1]/logout',
    'https://[::ffff:127.0.0.1]/logout',
    'https://metadata.google.internal/logout',
    'https://printer.local/logout',
  ])(
    'refuses a back-channel logout URI the service would call inside its own network: %s',
    async (uri) => {
      const token = await issueToken(service, adminKey);
      const answer = await registerWith(token, { ...app, backchannel_logout_uri: uri });
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_client_metadata');
    },
  );

  it('accepts a back-channel logout URI on a public host (and the admin API a loopback one)', async () => {
    const token = await issueToken(service, adminKey);
    const answer = await registerWith(token, {
      ...app,
      backchannel_logout_uri: 'https://partner.example/backchannel',
    });
    expect(answer.status).toBe(201);
    const byAdmin = await call(service.url, 'POST', '/admin/clients', {
      token: adminKey,
      body: { ...app, backchannel_logout_uri: 'http://127.0.0.1:9000/backchannel' },
    });
    expect(byAdmin.status).toBe(201);
  });

  it('ignores metadata it does not understand (RFC 7591 §2) and stores none of it', async () => {
    const token = await issueToken(service, adminKey);
    const answer = await registerWith(token, {
      ...app,
      logo_uri: 'https://partner.example/logo.png',
    });
    expect(answer.status).toBe(201);
    expect(answer.body.logo_uri).toBeUndefined();
  });

  it('refuses what the token does not allow: a scope, an audience, a grant', async () => {
    const token = await issueToken(service, adminKey, { scope: 'openid' });
    for (const body of [
      { ...app, grant_types: ['authorization_code'], scope: 'openid email' },
      {
        ...app,
        grant_types: ['authorization_code'],
        scope: 'openid',
        audiences: ['https://other.example'],
      },
      { client_name: 'machine', grant_types: ['client_credentials'] },
    ]) {
      const answer = await registerWith(token, body);
      expect(answer.status).toBe(400);
      expect(answer.body.error).toBe('invalid_client_metadata');
    }
  });

  it('registers a client that then authenticates at the token endpoint', async () => {
    const token = await issueToken(service, adminKey, {
      scope: 'jobs:run',
      grant_types: ['client_credentials'],
    });
    const answer = await registerWith(token, {
      client_name: 'runner',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      scope: 'jobs:run',
    });
    expect(answer.status).toBe(201);
    const issued = await postForm(service.url, '/oauth/token', {
      grant_type: 'client_credentials',
      client_id: String(answer.body.client_id),
      client_secret: String(answer.body.client_secret),
    });
    expect(issued.status).toBe(200);
  });
});

describe('POST /admin/registration-tokens', () => {
  let service: TestService;
  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(() => service.destroy());

  it('needs an admin key and refuses out-of-range requests', async () => {
    const adminKey = await service.addKey('admin');
    expect(
      (await call(service.url, 'POST', '/admin/registration-tokens', { body: { name: 'x' } }))
        .status,
    ).toBe(401);
    for (const body of [
      { name: 'has space' },
      { name: 'x', expires_in: 59 },
      { name: 'x', expires_in: 7 * 86400 + 1 },
      { name: 'x', grant_types: ['implicit'] },
      { name: 'x', audiences: ['not a uri'] },
      { name: 'x', scope: 'a"b' },
    ]) {
      const answer = await call(service.url, 'POST', '/admin/registration-tokens', {
        token: adminKey,
        body,
      });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error).toBe('invalid_registration_token_request');
    }
  });
});
