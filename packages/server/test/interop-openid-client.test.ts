import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oidc from 'openid-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  browse,
  CookieJar,
  postSignIn,
  type RegisteredClient,
  registerClient,
  signInFormOf,
} from './support/authorize-flow.ts';
import { errorOf } from './support/error-of.ts';
import {
  eventually,
  signInThroughThePage,
  startInteropRelyingParty,
} from './support/interop-rp.ts';

/**
 * openid-client 6 (nobody here wrote it) against a running Writ, beyond what
 * authorize-openid-client.test.ts covers (code flow, PAR, iss mix-up): userinfo, refresh
 * rotation and reuse, client_credentials, DPoP through getDPoPHandle (the library retries with
 * the server's DPoP-Nonce by itself), introspection, RFC 7009 revocation, private_key_jwt, and
 * RP-initiated logout through buildEndSessionUrl with the back-channel logout token validated
 * by a jose RP endpoint, and an ID token from another issuer refused. Discovery is the library's default
 * (`/.well-known/openid-configuration`); allowInsecureRequests only because the service is
 * plain http on loopback.
 */

const email = 'oskar@example.com';
const password = 'correct horse battery staple';

let service: TestService;
let adminKey: string;
let userId: string;
let web: RegisteredClient;

beforeAll(async () => {
  service = await startTestService();
  userId = await service.addUser(email, password);
  adminKey = await service.addKey('admin');
  web = await registerClient(service, adminKey, { client_name: 'Interop openid-client app' });
});
afterAll(() => service?.destroy());

function discover(
  clientId: string,
  auth: oidc.ClientAuth,
  metadata?: Partial<oidc.ClientMetadata>,
): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(service.url), clientId, metadata, auth, {
    execute: [oidc.allowInsecureRequests],
  });
}

const webConfig = () => discover(web.clientId, oidc.ClientSecretBasic(web.clientSecret ?? ''));

async function codeFlow(config: oidc.Configuration, options: { DPoP?: oidc.DPoPHandle } = {}) {
  const codeVerifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const nonce = oidc.randomNonce();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: web.redirectUri,
    scope: 'openid api offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    nonce,
  });
  const callback = await signInThroughThePage(service, url, { email, password });
  const tokens = await oidc.authorizationCodeGrant(
    config,
    callback,
    {
      pkceCodeVerifier: codeVerifier,
      expectedState: state,
      expectedNonce: nonce,
      idTokenExpected: true,
    },
    undefined,
    options,
  );
  return { tokens, nonce };
}

describe('openid-client 6 against Writ (beyond the code flow)', () => {
  it('reads userinfo, rotates the refresh token, and ends the family on reuse', async () => {
    const config = await webConfig();
    const { tokens } = await codeFlow(config);
    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId);
    expect(userinfo.sub).toBe(userId);

    const first = String(tokens.refresh_token);
    const rotated = await oidc.refreshTokenGrant(config, first);
    expect(rotated.refresh_token).not.toBe(first);
    expect((await oidc.tokenIntrospection(config, rotated.access_token)).active).toBe(true);

    const reuse = await errorOf(oidc.refreshTokenGrant(config, first));
    expect(reuse).toBeInstanceOf(oidc.ResponseBodyError);
    expect((reuse as oidc.ResponseBodyError).error).toBe('invalid_grant');
    const second = await errorOf(oidc.refreshTokenGrant(config, String(rotated.refresh_token)));
    expect((second as oidc.ResponseBodyError).error).toBe('invalid_grant');
    expect((await oidc.tokenIntrospection(config, rotated.access_token)).active).toBe(false);
  });

  it('introspects and revokes (RFC 7662, RFC 7009)', async () => {
    const config = await webConfig();
    const { tokens } = await codeFlow(config);
    const introspected = await oidc.tokenIntrospection(config, tokens.access_token);
    expect(introspected.active).toBe(true);
    expect(introspected.sub).toBe(userId);
    await oidc.tokenRevocation(config, String(tokens.refresh_token));
    expect((await oidc.tokenIntrospection(config, tokens.access_token)).active).toBe(false);
    const refused = await errorOf(oidc.fetchUserInfo(config, tokens.access_token, userId));
    expect(refused).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
  });

  it('binds the code-flow tokens, refresh and userinfo to a DPoP key (getDPoPHandle)', async () => {
    const config = await webConfig();
    const keyPair = await oidc.randomDPoPKeyPair('ES256');
    const DPoP = oidc.getDPoPHandle(config, keyPair);
    const { tokens } = await codeFlow(config, { DPoP });
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect((decodeJwt(tokens.access_token).cnf as { jkt?: string }).jkt).toBe(jkt);

    const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, userId, { DPoP });
    expect(userinfo.sub).toBe(userId);
    // The bound token sent as a plain Bearer token is refused.
    const asBearer = await errorOf(oidc.fetchUserInfo(config, tokens.access_token, userId));
    expect(asBearer).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);

    const rotated = await oidc.refreshTokenGrant(config, String(tokens.refresh_token), undefined, {
      DPoP,
    });
    expect(rotated.token_type).toBe('dpop');
    expect((decodeJwt(rotated.access_token).cnf as { jkt?: string }).jkt).toBe(jkt);
  });

  it('gets client_credentials tokens, plain and DPoP-bound', async () => {
    const machine = await registerClient(service, adminKey, {
      client_name: 'Interop openid-client machine',
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
    });
    const config = await discover(
      machine.clientId,
      oidc.ClientSecretBasic(machine.clientSecret ?? ''),
    );
    const plain = await oidc.clientCredentialsGrant(config, { scope: 'api' });
    expect(decodeJwt(plain.access_token).sub).toBe(machine.clientId);
    const DPoP = oidc.getDPoPHandle(config, await oidc.randomDPoPKeyPair('EdDSA'));
    const bound = await oidc.clientCredentialsGrant(config, { scope: 'api' }, { DPoP });
    expect(bound.token_type).toBe('dpop');
    expect(typeof (decodeJwt(bound.access_token).cnf as { jkt?: string }).jkt).toBe('string');
  });

  it('authenticates with private_key_jwt', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = 'interop-oidc-1';
    const machine = await registerClient(service, adminKey, {
      client_name: 'Interop openid-client signed machine',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
    });
    const config = await discover(machine.clientId, oidc.PrivateKeyJwt({ key: privateKey, kid }));
    const token = await oidc.clientCredentialsGrant(config, { scope: 'api' });
    expect(decodeJwt(token.access_token).client_id).toBe(machine.clientId);
  });

  it('ends the session through buildEndSessionUrl and tells the RP over the back channel', async () => {
    const rp = await startInteropRelyingParty(service.url);
    try {
      const app = await registerClient(service, adminKey, {
        client_name: 'Interop openid-client logout app',
        backchannel_logout_uri: `${rp.origin}/backchannel-logout`,
        post_logout_redirect_uris: ['http://127.0.0.1:5555/signed-out'],
      });
      rp.clientId = app.clientId;
      const config = await discover(app.clientId, oidc.ClientSecretBasic(app.clientSecret ?? ''));
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const jar = new CookieJar();
      const url = oidc.buildAuthorizationUrl(config, {
        redirect_uri: app.redirectUri,
        scope: 'openid api',
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
      });
      const page = await browse(url.href, jar);
      const posted = await postSignIn(service, jar, signInFormOf(await page.text()), {
        email,
        password,
      });
      const tokens = await oidc.authorizationCodeGrant(
        config,
        new URL(posted.headers.get('location') ?? ''),
        { pkceCodeVerifier: codeVerifier, expectedState: state, idTokenExpected: true },
      );
      const sid = tokens.claims()?.sid;
      expect(typeof sid).toBe('string');

      const endSession = oidc.buildEndSessionUrl(config, {
        id_token_hint: String(tokens.id_token),
        post_logout_redirect_uri: 'http://127.0.0.1:5555/signed-out',
        state: 'bye',
      });
      expect(endSession.origin + endSession.pathname).toBe(`${service.url}/oauth/logout`);
      const loggedOut = await browse(endSession.href, jar);
      expect([302, 303]).toContain(loggedOut.status);
      const back = new URL(loggedOut.headers.get('location') ?? '');
      expect(back.origin + back.pathname).toBe('http://127.0.0.1:5555/signed-out');
      expect(back.searchParams.get('state')).toBe('bye');

      const logout = await eventually(() => rp.accepted.find((token) => token.sid === sid));
      expect(logout.sub).toBe(userId);
      expect(rp.refused).toEqual([]);
      const refused = await errorOf(oidc.fetchUserInfo(config, tokens.access_token, userId));
      expect(refused).toBeInstanceOf(oidc.WWWAuthenticateChallengeError);
    } finally {
      await rp.close();
    }
  });

  it('refuses an ID token whose iss is another issuer', async () => {
    const config = await webConfig();
    const { privateKey } = await generateKeyPair('EdDSA');
    // A token endpoint on the path that swaps in an ID token from elsewhere (right aud and
    // nonce, another iss): the library's own iss check must refuse it.
    let expectedNonce = '';
    config[oidc.customFetch] = async (url, options) => {
      const response = await fetch(url, {
        method: options.method,
        headers: options.headers,
        body: options.body instanceof URLSearchParams ? options.body : null,
        redirect: options.redirect,
      });
      if (!url.endsWith('/oauth/token')) return response;
      const body = (await response.json()) as Record<string, unknown>;
      const now = Math.floor(Date.now() / 1000);
      const idToken = await new SignJWT({ nonce: expectedNonce })
        .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
        .setIssuer('https://other-issuer.example')
        .setSubject(userId)
        .setAudience(web.clientId)
        .setIssuedAt(now)
        .setExpirationTime(now + 300)
        .sign(privateKey);
      return new Response(JSON.stringify({ ...body, id_token: idToken }), {
        status: response.status,
        headers: { 'content-type': 'application/json' },
      });
    };
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    expectedNonce = oidc.randomNonce();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: web.redirectUri,
      scope: 'openid api',
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state,
      nonce: expectedNonce,
    });
    const callback = await signInThroughThePage(service, url, { email, password });
    const refused = await errorOf(
      oidc.authorizationCodeGrant(config, callback, {
        pkceCodeVerifier: codeVerifier,
        expectedState: state,
        expectedNonce,
        idTokenExpected: true,
      }),
    );
    // openid-client wraps oauth4webapi's error; the cause names the claim.
    expect((refused as Error).cause).toMatchObject({
      message: 'unexpected JWT "iss" (issuer) claim value',
    });
  });
});
