import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RegisteredClient, registerClient } from './support/authorize-flow.ts';
import { errorOf } from './support/error-of.ts';
import { signInThroughThePage } from './support/interop-rp.ts';

/**
 * openid-client 6 (on oauth4webapi 3), a library nobody here wrote, against the running
 * service: default discovery, authorization code + PKCE (the sign-in page driven over HTTP),
 * the ID token validated by its own rules (signature, iss, aud, nonce, auth_time with max_age;
 * it does not check at_hash in the code flow, authorize-code-flow.test.ts does), and RFC 9207's
 * iss checked by the library.
 */

const email = 'kay@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let client: RegisteredClient;
let userId: string;

beforeAll(async () => {
  service = await startTestService();
  userId = await service.addUser(email, password);
  client = await registerClient(service, await service.addKey('admin'));
});
afterAll(() => service.destroy());

async function discover(): Promise<oidc.Configuration> {
  return oidc.discovery(
    new URL(service.url),
    client.clientId,
    undefined,
    oidc.ClientSecretBasic(client.clientSecret ?? ''),
    {
      execute: [oidc.allowInsecureRequests],
    },
  );
}

/** The messages of an error and of its causes, which is where openid-client says what failed. */
function messagesOf(error: unknown): string {
  const messages: string[] = [];
  for (let current = error; current instanceof Error; current = current.cause)
    messages.push(current.message);
  return messages.join(' / ');
}

async function failureOf(promise: Promise<unknown>): Promise<string> {
  return messagesOf(await errorOf(promise));
}

/** Drives the page as a browser and returns the URL the client's callback is called with. */
function signInAt(authorizationUrl: URL): Promise<URL> {
  return signInThroughThePage(service, authorizationUrl, { email, password });
}

/**
 * A code + PKCE authorization request built by the library (a fresh verifier and state, plus
 * `extra`), signed in through the page: the callback and what its redemption needs.
 */
async function signedInCallback(
  config: oidc.Configuration,
  scope: string,
  extra: Record<string, string> = {},
) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: client.redirectUri,
    scope,
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...extra,
  });
  return { callback: await signInAt(url), codeVerifier, state };
}

describe('openid-client 6 against Writ', () => {
  it('discovers by default, runs code + PKCE, and validates the ID token', async () => {
    const config = await discover();
    expect(config.serverMetadata().authorization_endpoint).toBe(`${service.url}/oauth/authorize`);
    const nonce = oidc.randomNonce();
    const { callback, codeVerifier, state } = await signedInCallback(config, 'openid api', {
      nonce,
      max_age: '300',
    });
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
      maxAge: 300,
    });
    const claims = tokens.claims();
    expect(claims?.sub).toBe(userId);
    expect(claims?.aud).toBe(client.clientId);
    expect(claims?.nonce).toBe(nonce);
    expect(typeof tokens.access_token).toBe('string');
    expect(typeof tokens.refresh_token).toBe('string');
  });

  it('works through PAR as well', async () => {
    const config = await discover();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    const url = await oidc.buildAuthorizationUrlWithPAR(config, {
      redirect_uri: client.redirectUri,
      scope: 'openid',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
    });
    expect(url.searchParams.get('request_uri')).toMatch(/^urn:ietf:params:oauth:request_uri:/);
    const callback = await signInAt(url);
    const tokens = await oidc.authorizationCodeGrant(config, callback, {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      idTokenExpected: true,
    });
    expect(tokens.claims()?.sub).toBe(userId);
  });

  it('refuses an access token passed off as an ID token', async () => {
    const config = await discover();
    const { callback, codeVerifier, state } = await signedInCallback(config, 'openid api');
    // A token endpoint (here, a fetch wrapper standing in for one an attacker controls on the
    // path) that answers with the access token in the id_token member.
    const customFetch: oidc.CustomFetch = async (url, options) => {
      const response = await fetch(url, {
        method: options.method,
        headers: options.headers,
        // The token request openid-client sends is a form.
        body: options.body instanceof URLSearchParams ? options.body : null,
        redirect: options.redirect,
      });
      const body = (await response.json()) as Record<string, unknown>;
      return new Response(JSON.stringify({ ...body, id_token: body.access_token }), {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      });
    };
    config[oidc.customFetch] = customFetch;
    const failure = await failureOf(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        idTokenExpected: true,
      }),
    );
    expect(failure).toMatch(/"aud" \(audience\)/);
  });

  it('refuses an authorization response whose iss is another server (RFC 9207)', async () => {
    const config = await discover();
    const { callback, codeVerifier, state } = await signedInCallback(config, 'api');
    callback.searchParams.set('iss', 'https://mix-up.example');
    const failure = await failureOf(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
      }),
    );
    expect(failure).toMatch(/unexpected "iss" \(issuer\) response parameter/);
  });
});
