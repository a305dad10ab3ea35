import { randomBytes } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWTPayload, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { authenticateClient } from '../src/clients/authenticate-client.ts';
import { type FormResponse, postForm } from './support/oauth.ts';

const assertionType = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

let service: TestService;
let adminKey: string;
let signingKey: CryptoKey;
let strangerKey: CryptoKey;

interface Registered {
  readonly id: string;
  readonly secret: string;
}

async function register(body: Record<string, unknown>): Promise<Registered> {
  const answer = await call(service.url, 'POST', '/admin/clients', { token: adminKey, body });
  if (answer.status !== 201) throw new Error(`registration failed: ${JSON.stringify(answer.body)}`);
  return { id: String(answer.body.client_id), secret: String(answer.body.client_secret) };
}

const machine = (name: string, method: string) => ({
  client_name: name,
  token_endpoint_auth_method: method,
  grant_types: ['client_credentials'],
  scope: 'reports:read',
});

let basicClient: Registered;
let postClient: Registered;
let jwtClient: Registered;
let publicClient: Registered;

beforeAll(async () => {
  service = await startTestService();
  adminKey = await service.addKey('admin');
  const pair = await generateKeyPair('ES256', { extractable: true });
  signingKey = pair.privateKey;
  strangerKey = (await generateKeyPair('ES256')).privateKey;
  basicClient = await register(machine('basic', 'client_secret_basic'));
  postClient = await register(machine('post', 'client_secret_post'));
  jwtClient = await register({
    ...machine('jwt', 'private_key_jwt'),
    jwks: { keys: [{ ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256' }] },
  });
  publicClient = await register({
    client_name: 'spa',
    token_endpoint_auth_method: 'none',
    grant_types: ['authorization_code'],
    redirect_uris: ['https://spa.example/cb'],
  });
});
afterAll(() => service.destroy());

type TokenAnswer = FormResponse;

function token(
  params: Record<string, string>,
  headers: Record<string, string> = {},
): Promise<TokenAnswer> {
  return postForm(
    service.url,
    '/oauth/token',
    { grant_type: 'client_credentials', ...params },
    headers,
  );
}

/** RFC 6749 §2.3.1: each half form-urlencoded, then joined and base64-encoded. */
function basic(id: string, secret: string): Record<string, string> {
  const encode = (value: string) => encodeURIComponent(value).replaceAll('%20', '+');
  return {
    authorization: `Basic ${Buffer.from(`${encode(id)}:${encode(secret)}`).toString('base64')}`,
  };
}

function expectInvalidClient(answer: TokenAnswer, viaBasic: boolean): void {
  expect(answer.status).toBe(401);
  expect(answer.body).toEqual({
    error: 'invalid_client',
    error_description: expect.any(String),
  });
  expect(answer.headers.get('cache-control')).toBe('no-store');
  if (viaBasic) expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm="/);
  else expect(answer.headers.get('www-authenticate')).toBeNull();
}

function expectIssued(answer: TokenAnswer): void {
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  expect(typeof answer.body.access_token).toBe('string');
}

describe('client_secret_basic', () => {
  it('authenticates the registered client', async () => {
    expectIssued(await token({}, basic(basicClient.id, basicClient.secret)));
  });

  it('form-decodes the id and the secret inside the Basic header (RFC 6749 §2.3.1)', async () => {
    // Percent-encoding characters that need none is still valid encoding, and must be decoded.
    const encoded = (value: string) => value.replaceAll('_', '%5F').replaceAll('-', '%2D');
    const header = `Basic ${Buffer.from(`${encoded(basicClient.id)}:${encoded(basicClient.secret)}`).toString('base64')}`;
    expectIssued(await token({}, { authorization: header }));
  });

  it('refuses a wrong secret, with WWW-Authenticate: Basic', async () => {
    expectInvalidClient(await token({}, basic(basicClient.id, `${basicClient.secret}x`)), true);
  });

  it('refuses an unknown client with exactly the answer a wrong secret gets', async () => {
    const wrongSecret = await token({}, basic(basicClient.id, 'wcs_wrong'));
    const unknown = await token(
      {},
      basic(`wc_${randomBytes(16).toString('base64url')}`, 'wcs_wrong'),
    );
    expectInvalidClient(unknown, true);
    expect(unknown.body).toEqual(wrongSecret.body);
    expect(unknown.headers.get('www-authenticate')).toBe(
      wrongSecret.headers.get('www-authenticate'),
    );
  });

  it('refuses a client registered for client_secret_post that sends Basic', async () => {
    expectInvalidClient(await token({}, basic(postClient.id, postClient.secret)), true);
  });

  it('refuses a client_id parameter naming another client than the header', async () => {
    expectInvalidClient(
      await token({ client_id: postClient.id }, basic(basicClient.id, basicClient.secret)),
      true,
    );
  });

  it('refuses a malformed Basic header', async () => {
    expectInvalidClient(await token({}, { authorization: 'Basic not*base64' }), true);
    expectInvalidClient(
      await token({}, { authorization: `Basic ${Buffer.from('no-colon').toString('base64')}` }),
      true,
    );
  });
});

describe('client_secret_post', () => {
  it('authenticates the registered client', async () => {
    expectIssued(await token({ client_id: postClient.id, client_secret: postClient.secret }));
  });

  it('refuses a wrong secret, an unknown client alike, and the wrong method', async () => {
    const wrong = await token({ client_id: postClient.id, client_secret: 'wcs_wrong' });
    expectInvalidClient(wrong, false);
    const unknown = await token({ client_id: 'wc_nobody', client_secret: 'wcs_wrong' });
    expectInvalidClient(unknown, false);
    expect(unknown.body).toEqual(wrong.body);
    expectInvalidClient(
      await token({ client_id: basicClient.id, client_secret: basicClient.secret }),
      false,
    );
  });

  it('refuses a secret without client_id', async () => {
    expectInvalidClient(await token({ client_secret: postClient.secret }), false);
  });
});

describe('exactly one method per request', () => {
  it('answers 400 invalid_request to Basic plus client_secret', async () => {
    const answer = await token(
      { client_id: basicClient.id, client_secret: basicClient.secret },
      basic(basicClient.id, basicClient.secret),
    );
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });

  it('answers 400 invalid_request to client_secret plus an assertion', async () => {
    const answer = await token({
      client_id: jwtClient.id,
      client_secret: 'x',
      client_assertion_type: assertionType,
      client_assertion: await assertion(),
    });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('invalid_request');
  });
});

function nowSec(): number {
  return Math.floor(service.clock.nowMs() / 1000);
}

async function assertion(
  claims: Partial<JWTPayload> = {},
  options: { key?: CryptoKey; kid?: string; omit?: string[] } = {},
): Promise<string> {
  const payload: JWTPayload = {
    iss: jwtClient.id,
    sub: jwtClient.id,
    aud: service.context.config.issuer,
    jti: randomBytes(16).toString('base64url'),
    iat: nowSec(),
    exp: nowSec() + 60,
    ...claims,
  };
  for (const member of options.omit ?? []) delete payload[member];
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', kid: options.kid ?? 'k1' })
    .sign(options.key ?? signingKey);
}

const withAssertion = (jwt: string, extra: Record<string, string> = {}) =>
  token({ client_assertion_type: assertionType, client_assertion: jwt, ...extra });

describe('private_key_jwt (RFC 7523)', () => {
  it('authenticates an assertion addressed to the issuer, or to the token endpoint', async () => {
    expectIssued(await withAssertion(await assertion()));
    expectIssued(
      await withAssertion(
        await assertion({ aud: `${service.context.config.issuer}/oauth/token` }),
        {
          client_id: jwtClient.id,
        },
      ),
    );
  });

  it('authenticates an assertion addressed to the PAR endpoint (RFC 9126 §2)', async () => {
    expectIssued(
      await withAssertion(await assertion({ aud: `${service.context.config.issuer}/oauth/par` })),
    );
  });

  it('refuses the same assertion a second time', async () => {
    const jwt = await assertion();
    expectIssued(await withAssertion(jwt));
    expectInvalidClient(await withAssertion(jwt), false);
  });

  it('refuses a second assertion reusing a jti, even freshly signed', async () => {
    const jti = randomBytes(16).toString('base64url');
    expectIssued(await withAssertion(await assertion({ jti })));
    expectInvalidClient(await withAssertion(await assertion({ jti, iat: nowSec() + 1 })), false);
  });

  const refused: [string, () => Promise<string>][] = [
    ['an expired assertion', () => assertion({ iat: nowSec() - 600, exp: nowSec() - 60 })],
    [
      'an assertion expiring more than five minutes ahead',
      () => assertion({ exp: nowSec() + 600 }),
    ],
    ['an assertion without exp', () => assertion({}, { omit: ['exp'] })],
    ['an assertion without jti', () => assertion({}, { omit: ['jti'] })],
    ['an assertion for another audience', () => assertion({ aud: 'https://elsewhere.example' })],
    [
      'an assertion also addressed to another audience',
      () => assertion({ aud: [service.context.config.issuer, 'https://elsewhere.example'] }),
    ],
    ['an assertion whose iss is not its sub', () => assertion({ iss: basicClient.id })],
    ['an assertion signed with another key', () => assertion({}, { key: strangerKey })],
    ['an assertion naming an unknown kid', () => assertion({}, { kid: 'k2' })],
    [
      'an assertion issued in the future',
      () => assertion({ iat: nowSec() + 120, exp: nowSec() + 180 }),
    ],
    ['an assertion not yet valid', () => assertion({ nbf: nowSec() + 120 })],
  ];

  it.each(refused)('refuses %s with 401 invalid_client', async (_name, make) => {
    expectInvalidClient(await withAssertion(await make()), false);
  });

  it('refuses an unknown client with the answer a wrong key gets', async () => {
    const stranger = `wc_${randomBytes(16).toString('base64url')}`;
    const unknown = await withAssertion(await assertion({ iss: stranger, sub: stranger }));
    const wrongKey = await withAssertion(await assertion({}, { key: strangerKey }));
    expectInvalidClient(unknown, false);
    expect(unknown.body).toEqual(wrongKey.body);
  });

  it('refuses a wrong assertion type, and a client_id other than the assertion’s', async () => {
    expectInvalidClient(
      await token({
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:saml2-bearer',
        client_assertion: await assertion(),
      }),
      false,
    );
    expectInvalidClient(
      await withAssertion(await assertion(), { client_id: basicClient.id }),
      false,
    );
  });

  it('refuses an assertion from a client registered for a secret', async () => {
    expectInvalidClient(
      await withAssertion(await assertion({ iss: basicClient.id, sub: basicClient.id })),
      false,
    );
  });
});

describe('replacing a private_key_jwt client’s keys (PUT /admin/clients/:id/jwks)', () => {
  it('rotates without a gap: old and new together, then the new alone, and the old key stops working', async () => {
    const older = await generateKeyPair('ES256', { extractable: true });
    const newer = await generateKeyPair('ES256', { extractable: true });
    const jwk = async (pair: CryptoKeyPair, kid: string) => ({
      ...(await exportJWK(pair.publicKey)),
      kid,
    });
    const client = await register({
      ...machine('rotating keys', 'private_key_jwt'),
      jwks: { keys: [await jwk(older, 'old')] },
    });
    const signed = (pair: CryptoKeyPair, kid: string) =>
      new SignJWT({ jti: randomBytes(16).toString('base64url') })
        .setProtectedHeader({ alg: 'ES256', kid })
        .setIssuer(client.id)
        .setSubject(client.id)
        .setAudience(service.context.config.issuer)
        .setExpirationTime(nowSec() + 60)
        .sign(pair.privateKey);
    const put = (jwks: unknown) =>
      call(service.url, 'PUT', `/admin/clients/${client.id}/jwks`, {
        token: adminKey,
        body: { jwks },
      });

    expect((await put({ keys: [await jwk(older, 'old'), await jwk(newer, 'new')] })).status).toBe(
      204,
    );
    expectIssued(await withAssertion(await signed(older, 'old')));
    expectIssued(await withAssertion(await signed(newer, 'new')));
    expect((await put({ keys: [await jwk(newer, 'new')] })).status).toBe(204);
    expectInvalidClient(await withAssertion(await signed(older, 'old')), false);
    expectIssued(await withAssertion(await signed(newer, 'new')));

    const shown = await call(service.url, 'GET', `/admin/clients/${client.id}`, {
      token: adminKey,
    });
    expect((shown.body.jwks as { keys: { kid: string }[] }).keys.map((key) => key.kid)).toEqual([
      'new',
    ]);
  });

  it('refuses keys the registration would refuse, a client without keys, and an unknown client', async () => {
    const invalid = await call(service.url, 'PUT', `/admin/clients/${jwtClient.id}/jwks`, {
      token: adminKey,
      body: { jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toBe('invalid_jwks');
    expectIssued(await withAssertion(await assertion()));
    const noKeys = await call(service.url, 'PUT', `/admin/clients/${basicClient.id}/jwks`, {
      token: adminKey,
      body: { jwks: { keys: [] } },
    });
    expect(noKeys.status).toBe(409);
    expect(noKeys.body.error).toBe('client_has_no_jwks');
    const unknown = await call(service.url, 'PUT', '/admin/clients/wc_nobody/jwks', {
      token: adminKey,
      body: { jwks: { keys: [] } },
    });
    expect(unknown.status).toBe(404);
  });
});

describe('none (public clients)', () => {
  it('authenticates a public client by its id alone (the grant then decides: no client_credentials)', async () => {
    const answer = await token({ client_id: publicClient.id });
    expect(answer.status).toBe(400);
    expect(answer.body.error).toBe('unauthorized_client');
  });

  it('refuses a confidential client that sends only its id', async () => {
    expectInvalidClient(await token({ client_id: basicClient.id }), false);
  });

  it('refuses a public client that sends a secret', async () => {
    expectInvalidClient(
      await token({ client_id: publicClient.id, client_secret: 'anything' }),
      false,
    );
  });

  it('refuses a request with no client at all', async () => {
    expectInvalidClient(await token({}), false);
  });
});

describe('disabled clients and rotated secrets', () => {
  it('refuses a disabled client with every method', async () => {
    const secretClient = await register(machine('doomed', 'client_secret_basic'));
    expectIssued(await token({}, basic(secretClient.id, secretClient.secret)));
    await call(service.url, 'DELETE', `/admin/clients/${secretClient.id}`, { token: adminKey });
    expectInvalidClient(await token({}, basic(secretClient.id, secretClient.secret)), true);

    const publicOne = await register({
      client_name: 'doomed spa',
      token_endpoint_auth_method: 'none',
      redirect_uris: ['https://spa.example/cb'],
    });
    await call(service.url, 'DELETE', `/admin/clients/${publicOne.id}`, { token: adminKey });
    expectInvalidClient(await token({ client_id: publicOne.id }), false);
  });

  it('refuses a disabled private_key_jwt client', async () => {
    const pair = await generateKeyPair('ES256', { extractable: true });
    const doomed = await register({
      ...machine('doomed jwt', 'private_key_jwt'),
      jwks: { keys: [await exportJWK(pair.publicKey)] },
    });
    const make = () =>
      new SignJWT({ jti: randomBytes(8).toString('hex') })
        .setProtectedHeader({ alg: 'ES256' })
        .setIssuer(doomed.id)
        .setSubject(doomed.id)
        .setAudience(service.context.config.issuer)
        .setExpirationTime(nowSec() + 60)
        .sign(pair.privateKey);
    expectIssued(await withAssertion(await make()));
    await call(service.url, 'DELETE', `/admin/clients/${doomed.id}`, { token: adminKey });
    expectInvalidClient(await withAssertion(await make()), false);
  });

  it('stops accepting the old secret the moment it is rotated', async () => {
    const client = await register(machine('rotating', 'client_secret_basic'));
    const rotated = await call(service.url, 'POST', `/admin/clients/${client.id}/secret`, {
      token: adminKey,
    });
    const fresh = String(rotated.body.client_secret);
    expectInvalidClient(await token({}, basic(client.id, client.secret)), true);
    expectIssued(await token({}, basic(client.id, fresh)));
  });

  it('keeps the old secret working for the grace period asked for, and not a moment longer', async () => {
    const client = await register(machine('rolling', 'client_secret_post'));
    const rotated = await call(service.url, 'POST', `/admin/clients/${client.id}/secret`, {
      token: adminKey,
      body: { grace_period_sec: 600 },
    });
    const fresh = String(rotated.body.client_secret);
    expectIssued(await token({ client_id: client.id, client_secret: client.secret }));
    expectIssued(await token({ client_id: client.id, client_secret: fresh }));
    service.clock.advance(601_000);
    try {
      expectInvalidClient(
        await token({ client_id: client.id, client_secret: client.secret }),
        false,
      );
      expectIssued(await token({ client_id: client.id, client_secret: fresh }));
    } finally {
      service.clock.advance(-601_000);
    }
  });
});

describe('the reason behind each invalid_client (for the service’s logs, never the answer)', () => {
  const reasonFor = async (
    params: Record<string, string>,
    headers: Record<string, string> = {},
  ) => {
    const result = await authenticateClient(
      service.context,
      { headers, params: new Map(Object.entries(params)) },
      service.clock.nowMs(),
    );
    return result.ok ? 'ok' : result.reason;
  };

  it('tells the cases apart inside, while the answer above is one and the same', async () => {
    expect(await reasonFor({}, basic(basicClient.id, basicClient.secret))).toBe('ok');
    expect(await reasonFor({}, basic(basicClient.id, 'wcs_wrong'))).toBe('wrong_secret');
    expect(await reasonFor({}, basic('wc_nobody', 'wcs_wrong'))).toBe('unknown_client');
    expect(await reasonFor({}, basic(postClient.id, postClient.secret))).toBe('wrong_method');
    expect(await reasonFor({ client_id: basicClient.id })).toBe('wrong_method');
    expect(await reasonFor({})).toBe('no_credentials');
    expect(await reasonFor({ client_id: postClient.id, client_secret: 'x' }, basic('a', 'b'))).toBe(
      'two_methods',
    );
    const jwt = await assertion();
    const params = { client_assertion_type: assertionType, client_assertion: jwt };
    expect(await reasonFor(params)).toBe('ok');
    expect(await reasonFor(params)).toBe('assertion_replayed');
    expect(
      await reasonFor({ ...params, client_assertion: await assertion({}, { key: strangerKey }) }),
    ).toBe('assertion_signature');
    expect(
      await reasonFor({
        ...params,
        client_assertion: await assertion({ aud: 'https://x.example' }),
      }),
    ).toBe('assertion_claims');
  });
});
