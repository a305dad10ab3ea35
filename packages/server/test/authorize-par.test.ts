import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  registerClient,
  signInFormOf,
} from './support/authorize-flow.ts';
import { basic, postForm } from './support/oauth.ts';

const email = 'lin@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let client: RegisteredClient;
let other: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  const adminKey = await service.addKey('admin');
  await service.addUser(email, password);
  client = await registerClient(service, adminKey);
  other = await registerClient(service, adminKey);
});
afterAll(() => service.destroy());

const basicOf = (target: RegisteredClient) => basic(target.clientId, target.clientSecret ?? '');

function push(
  params: Record<string, string> | URLSearchParams,
  authorization: string | null = basicOf(client),
) {
  return postForm(
    service.url,
    '/oauth/par',
    new URLSearchParams(params).toString(),
    authorization === null ? {} : { authorization },
  );
}

/** Pushes the standard request of `client` and returns its request_uri and verifier. */
async function pushed(overrides: Record<string, string> = {}) {
  const { verifier, challenge } = pkcePair();
  const params = codeRequest(client, challenge, overrides);
  const answer = await push(params);
  expect(answer.status).toBe(201);
  return { requestUri: String(answer.body.request_uri), verifier, params };
}

describe('POST /oauth/par (RFC 9126)', () => {
  it('answers 201 with a single-use request_uri that the authorization endpoint honours', async () => {
    const { verifier, challenge } = pkcePair();
    const params = codeRequest(client, challenge);
    const answer = await push(params);
    expect(answer.status).toBe(201);
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(Object.keys(answer.body).sort()).toEqual(['expires_in', 'request_uri']);
    expect(answer.body.expires_in).toBe(60);
    const requestUri = String(answer.body.request_uri);
    expect(requestUri).toMatch(/^urn:ietf:params:oauth:request_uri:[A-Za-z0-9_-]{43}$/);

    // Only client_id beside request_uri counts: a redirect_uri in the query is ignored.
    const jar = new CookieJar();
    const page = await browse(
      authorizeUrl(service, {
        client_id: client.clientId,
        request_uri: requestUri,
        redirect_uri: 'https://attacker.example/cb',
      }),
      jar,
    );
    expect(page.status).toBe(200);
    const posted = await postSignIn(service, jar, signInFormOf(await page.text()), {
      email,
      password,
    });
    expect(posted.status).toBe(303);
    const location = new URL(posted.headers.get('location') ?? '');
    expect(`${location.origin}${location.pathname}`).toBe(client.redirectUri);
    expect(location.searchParams.get('state')).toBe(params.state);
    expect(location.searchParams.get('iss')).toBe(service.url);
    const token = await exchangeCode(service, client, {
      code: location.searchParams.get('code') ?? '',
      code_verifier: verifier,
      redirect_uri: client.redirectUri,
    });
    expect(token.status).toBe(200);

    // Used once: the same request_uri again is shown as expired, not redirected.
    const again = await browse(
      authorizeUrl(service, { client_id: client.clientId, request_uri: requestUri }),
      new CookieJar(),
    );
    expect(again.status).toBe(400);
    expect(again.headers.get('location')).toBeNull();
    expect(await again.text()).toContain('expired or was already used');
  });

  it("refuses another client's request_uri without using it up", async () => {
    const { requestUri } = await pushed();
    const stolen = await browse(
      authorizeUrl(service, { client_id: other.clientId, request_uri: requestUri }),
      new CookieJar(),
    );
    expect(stolen.status).toBe(400);
    expect(stolen.headers.get('location')).toBeNull();
    const own = await browse(
      authorizeUrl(service, { client_id: client.clientId, request_uri: requestUri }),
      new CookieJar(),
    );
    expect(own.status).toBe(200);
  });

  it('refuses a request_uri after its 60 seconds', async () => {
    const { requestUri } = await pushed();
    service.clock.advance(61_000);
    try {
      const late = await browse(
        authorizeUrl(service, { client_id: client.clientId, request_uri: requestUri }),
        new CookieJar(),
      );
      expect(late.status).toBe(400);
    } finally {
      service.clock.reset();
    }
  });

  it('refuses an unknown request_uri', async () => {
    const unknown = await browse(
      authorizeUrl(service, {
        client_id: client.clientId,
        request_uri: `urn:ietf:params:oauth:request_uri:${'A'.repeat(43)}`,
      }),
      new CookieJar(),
    );
    expect(unknown.status).toBe(400);
  });

  it('requires client authentication', async () => {
    const { challenge } = pkcePair();
    const anonymous = await push(codeRequest(client, challenge), null);
    expect(anonymous.status).toBe(401);
    expect(anonymous.body.error).toBe('invalid_client');
    const wrong = await push(
      codeRequest(client, challenge),
      `Basic ${Buffer.from(`${client.clientId}:not-the-secret`).toString('base64')}`,
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toBe('invalid_client');
  });

  it('validates the pushed request as the authorization endpoint does', async () => {
    const { challenge } = pkcePair();
    const cases: Array<[Record<string, string>, string]> = [
      [{ code_challenge_method: 'plain' }, 'invalid_request'],
      [{ redirect_uri: 'https://attacker.example/cb' }, 'invalid_request'],
      [{ scope: 'openid admin' }, 'invalid_scope'],
      [{ resource: 'https://other.example' }, 'invalid_target'],
      [{ response_type: 'token' }, 'unsupported_response_type'],
      [{ request: 'eyJhbGciOiJub25lIn0.e30.' }, 'request_not_supported'],
      [{ request_uri: 'urn:ietf:params:oauth:request_uri:abc' }, 'invalid_request'],
    ];
    for (const [overrides, error] of cases) {
      const answer = await push(codeRequest(client, challenge, overrides));
      expect({ overrides, status: answer.status, error: answer.body.error }).toEqual({
        overrides,
        status: 400,
        error,
      });
      expect(typeof answer.body.error_description).toBe('string');
    }
    // A client_id other than the authenticated client's fails client authentication itself.
    const mismatch = await push(codeRequest(client, challenge, { client_id: other.clientId }));
    expect([mismatch.status, mismatch.body.error]).toEqual([401, 'invalid_client']);
    const noChallenge = codeRequest(client, challenge);
    delete (noChallenge as Record<string, string | undefined>).code_challenge;
    expect((await push(noChallenge)).body.error).toBe('invalid_request');
    const repeated = new URLSearchParams(codeRequest(client, challenge));
    repeated.append('scope', 'api');
    expect((await push(repeated)).body.error).toBe('invalid_request');
  });

  it('answers prompt=none from a pushed request with login_required at the redirect URI', async () => {
    const { requestUri, params } = await pushed({ prompt: 'none' });
    const response = await browse(
      authorizeUrl(service, { client_id: client.clientId, request_uri: requestUri }),
      new CookieJar(),
    );
    const result = redirectParams(response);
    expect(result.get('error')).toBe('login_required');
    expect(result.get('state')).toBe(params.state);
    expect(result.get('iss')).toBe(service.url);
  });
});
