import { createVerifier } from '@writ/verify';
import { calculateJwkThumbprint, decodeJwt, exportJWK, generateKeyPair, SignJWT } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RegisteredClient, registerClient } from './support/authorize-flow.ts';
import { errorOf } from './support/error-of.ts';
import {
  backchannelLogoutEvent,
  eventually,
  type InteropRelyingParty,
  startInteropRelyingParty,
} from './support/interop-rp.ts';
import { authorizeThroughThePage } from './support/oauth4webapi-flow.ts';

/**
 * oauth4webapi 3 (a library nobody here wrote) against a running Writ, every call through the
 * library's own functions: default discovery (`algorithm: 'oidc'`, the library's default, so
 * `/.well-known/openid-configuration`; allowInsecureRequests only because the test service is
 * plain http on loopback), code + PKCE with the sign-in page driven over HTTP, the ID token
 * (nonce), userinfo, refresh rotation and reuse, client_credentials, DPoP through the library's
 * DPoP() handle (its nonce retry), introspection, RFC 7009 revocation, private_key_jwt, another
 * issuer's tokens, and a back-channel logout validated by an RP. authorize-oauth4webapi.test.ts
 * covers a public client's DPoP code exchange; this file does not repeat it.
 */

const email = 'ines@example.com';
const password = 'correct horse battery staple';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let service: TestService;
let otherIssuer: TestService;
let adminKey: string;
let userId: string;
let web: RegisteredClient;
let rp: InteropRelyingParty;
let as: oauth.AuthorizationServer;

beforeAll(async () => {
  [service, otherIssuer] = await Promise.all([startTestService(), startTestService()]);
  userId = await service.addUser(email, password);
  adminKey = await service.addKey('admin');
  rp = await startInteropRelyingParty(service.url);
  web = await registerClient(service, adminKey, {
    client_name: 'Interop web app',
    backchannel_logout_uri: `${rp.origin}/backchannel-logout`,
  });
  rp.clientId = web.clientId;
  const issuer = new URL(service.url);
  as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure));
});
afterAll(async () => {
  await rp?.close();
  await Promise.all([service?.destroy(), otherIssuer?.destroy()]);
});

function webClient(): { client: oauth.Client; auth: oauth.ClientAuth } {
  return {
    client: { client_id: web.clientId },
    auth: oauth.ClientSecretBasic(web.clientSecret ?? ''),
  };
}

/** The web client's code + PKCE through the page, up to the validated authorization response. */
function authorizeWeb(scope: string, nonce: string) {
  return authorizeThroughThePage(
    service,
    as,
    { clientId: web.clientId, redirectUri: web.redirectUri, scope, nonce },
    { email, password },
  );
}

/** Code + PKCE through the page; returns the validated token response. */
async function codeFlow(scope = 'openid api offline_access') {
  const { client, auth } = webClient();
  const nonce = oauth.generateRandomNonce();
  const { params, codeVerifier } = await authorizeWeb(scope, nonce);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    auth,
    params,
    web.redirectUri,
    codeVerifier,
    insecure,
  );
  const result = await oauth.processAuthorizationCodeResponse(as, client, response, {
    expectedNonce: nonce,
    requireIdToken: true,
  });
  return { result, nonce };
}

async function refresh(refreshToken: string) {
  const { client, auth } = webClient();
  return oauth.processRefreshTokenResponse(
    as,
    client,
    await oauth.refreshTokenGrantRequest(as, client, auth, refreshToken, insecure),
  );
}

async function introspect(token: string) {
  const { client, auth } = webClient();
  return oauth.processIntrospectionResponse(
    as,
    client,
    await oauth.introspectionRequest(as, client, auth, token, insecure),
  );
}

describe('oauth4webapi 3 against Writ', () => {
  it('discovers with the default (OpenID) discovery and finds every endpoint', () => {
    expect(as.issuer).toBe(service.url);
    expect(as.authorization_endpoint).toBe(`${service.url}/oauth/authorize`);
    expect(as.token_endpoint).toBe(`${service.url}/oauth/token`);
    expect(as.userinfo_endpoint).toBe(`${service.url}/oauth/userinfo`);
    expect(as.introspection_endpoint).toBe(`${service.url}/oauth/introspect`);
    expect(as.revocation_endpoint).toBe(`${service.url}/oauth/revoke`);
    expect(as.jwks_uri).toBe(`${service.url}/.well-known/jwks.json`);
  });

  it('runs code + PKCE, validates the ID token (nonce) and reads userinfo', async () => {
    const { client } = webClient();
    const { result, nonce } = await codeFlow();
    expect(result.token_type).toBe('bearer');
    const claims = oauth.getValidatedIdTokenClaims(result);
    expect(claims?.sub).toBe(userId);
    expect(claims?.nonce).toBe(nonce);
    expect(claims?.iss).toBe(service.url);

    const userinfo = await oauth.processUserInfoResponse(
      as,
      client,
      userId,
      await oauth.userInfoRequest(as, client, result.access_token, insecure),
    );
    expect(userinfo.sub).toBe(userId);
    // The library refuses a userinfo answer for someone else (OIDC Core 5.3.2).
    const mismatch = await errorOf(
      oauth.processUserInfoResponse(
        as,
        client,
        'someone-else',
        await oauth.userInfoRequest(as, client, result.access_token, insecure),
      ),
    );
    expect(mismatch).toBeInstanceOf(oauth.OperationProcessingError);
  });

  it('rotates refresh tokens; the old one is refused afterwards and the family revoked', async () => {
    const { result } = await codeFlow();
    const first = String(result.refresh_token);
    const rotated = await refresh(first);
    expect(rotated.refresh_token).toBeDefined();
    expect(rotated.refresh_token).not.toBe(first);
    expect((await introspect(rotated.access_token)).active).toBe(true);

    const reuse = await errorOf(refresh(first));
    expect(reuse).toBeInstanceOf(oauth.ResponseBodyError);
    expect((reuse as oauth.ResponseBodyError).error).toBe('invalid_grant');
    // Reuse ended the whole family: the rotated refresh token and its access token too.
    const second = await errorOf(refresh(String(rotated.refresh_token)));
    expect((second as oauth.ResponseBodyError).error).toBe('invalid_grant');
    expect((await introspect(rotated.access_token)).active).toBe(false);
  });

  it('introspects and revokes (RFC 7662, RFC 7009) through the library', async () => {
    const { client, auth } = webClient();
    const { result } = await codeFlow();
    const active = await introspect(result.access_token);
    expect(active.active).toBe(true);
    expect(active.sub).toBe(userId);
    expect(active.client_id).toBe(web.clientId);

    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, String(result.refresh_token), insecure),
    );
    expect((await introspect(result.access_token)).active).toBe(false);
    const afterRevoke = await errorOf(refresh(String(result.refresh_token)));
    expect((afterRevoke as oauth.ResponseBodyError).error).toBe('invalid_grant');
    // Revoking an unknown token is a 200 too (RFC 7009 §2.2).
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, 'not-a-token', insecure),
    );
  });

  it('discovers the same metadata through RFC 8414 (algorithm oauth2)', async () => {
    const issuer = new URL(service.url);
    const oauth2 = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
    );
    expect(oauth2).toEqual(as);
  });

  it('gets a signed introspection answer (RFC 9701) the library validates', async () => {
    const { client, auth } = webClient();
    const { result } = await codeFlow('openid api');
    const response = await oauth.introspectionRequest(as, client, auth, result.access_token, {
      requestJwtResponse: true,
      ...insecure,
    });
    expect(response.headers.get('content-type')).toMatch(/^application\/token-introspection\+jwt/);
    const introspected = await oauth.processIntrospectionResponse(as, client, response);
    expect(introspected.active).toBe(true);
    expect(introspected.sub).toBe(userId);
  });

  it('gets client_credentials tokens with a secret, DPoP-bound with the library nonce retry', async () => {
    const machine = await registerClient(service, adminKey, {
      client_name: 'Interop machine',
      token_endpoint_auth_method: 'client_secret_post',
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
    });
    const client: oauth.Client = { client_id: machine.clientId };
    const auth = oauth.ClientSecretPost(machine.clientSecret ?? '');
    const plain = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(as, client, auth, { scope: 'api' }, insecure),
    );
    expect(plain.token_type).toBe('bearer');
    expect(decodeJwt(plain.access_token).sub).toBe(machine.clientId);

    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(client, keyPair);
    const request = () =>
      oauth.clientCredentialsGrantRequest(
        as,
        client,
        auth,
        { scope: 'api' },
        { DPoP: dpop, ...insecure },
      );
    let nonceAsked = false;
    let bound: oauth.TokenEndpointResponse;
    try {
      bound = await oauth.processClientCredentialsResponse(as, client, await request());
    } catch (error) {
      if (!oauth.isDPoPNonceError(error)) throw error;
      nonceAsked = true;
      // The handle kept the DPoP-Nonce the server sent; the retry carries it.
      bound = await oauth.processClientCredentialsResponse(as, client, await request());
    }
    expect(nonceAsked).toBe(true);
    expect(bound.token_type).toBe('dpop');
    const cnf = decodeJwt(bound.access_token).cnf as { jkt?: string } | undefined;
    expect(cnf?.jkt).toBe(await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)));
  });

  it('binds code-flow tokens to a DPoP key and uses them at userinfo and the token endpoint', async () => {
    const { client, auth } = webClient();
    const keyPair = await oauth.generateKeyPair('EdDSA');
    const DPoP = oauth.DPoP(client, keyPair);
    /** Sends once and, when the server asks for its DPoP-Nonce (RFC 9449 §8, §9), once more. */
    async function withNonceRetry<T>(
      send: () => Promise<Response>,
      process: (r: Response) => Promise<T>,
    ) {
      try {
        return await process(await send());
      } catch (error) {
        if (!oauth.isDPoPNonceError(error)) throw error;
        return process(await send());
      }
    }
    const { params, codeVerifier } = await authorizeWeb('openid api offline_access', 'n-interop');
    const tokens = await withNonceRetry(
      () =>
        oauth.authorizationCodeGrantRequest(
          as,
          client,
          auth,
          params,
          web.redirectUri,
          codeVerifier,
          {
            DPoP,
            ...insecure,
          },
        ),
      (response) =>
        oauth.processAuthorizationCodeResponse(as, client, response, {
          expectedNonce: 'n-interop',
        }),
    );
    expect(tokens.token_type).toBe('dpop');
    const jkt = await calculateJwkThumbprint(await exportJWK(keyPair.publicKey));
    expect((decodeJwt(tokens.access_token).cnf as { jkt?: string }).jkt).toBe(jkt);

    const userinfo = await withNonceRetry(
      () => oauth.userInfoRequest(as, client, tokens.access_token, { DPoP, ...insecure }),
      (response) => oauth.processUserInfoResponse(as, client, userId, response),
    );
    expect(userinfo.sub).toBe(userId);
    // Without the proof (as a Bearer token) the bound token is refused.
    const stolen = await errorOf(
      oauth.processUserInfoResponse(
        as,
        client,
        userId,
        await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
      ),
    );
    expect(stolen).toBeInstanceOf(oauth.WWWAuthenticateChallengeError);

    const rotated = await withNonceRetry(
      () =>
        oauth.refreshTokenGrantRequest(as, client, auth, String(tokens.refresh_token), {
          DPoP,
          ...insecure,
        }),
      (response) => oauth.processRefreshTokenResponse(as, client, response),
    );
    expect(rotated.token_type).toBe('dpop');
    expect((decodeJwt(rotated.access_token).cnf as { jkt?: string }).jkt).toBe(jkt);
  });

  it('authenticates with private_key_jwt made by the library', async () => {
    const { privateKey, publicKey } = await generateKeyPair('ES256');
    const kid = 'interop-1';
    const machine = await registerClient(service, adminKey, {
      client_name: 'Interop signed machine',
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' }] },
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
    });
    const client: oauth.Client = { client_id: machine.clientId };
    const token = await oauth.processClientCredentialsResponse(
      as,
      client,
      await oauth.clientCredentialsGrantRequest(
        as,
        client,
        oauth.PrivateKeyJwt({ key: privateKey, kid }),
        { scope: 'api' },
        insecure,
      ),
    );
    expect(decodeJwt(token.access_token).client_id).toBe(machine.clientId);
    // Another key (not registered) is refused as invalid_client.
    const stranger = await generateKeyPair('ES256');
    const refused = await errorOf(
      oauth.processClientCredentialsResponse(
        as,
        client,
        await oauth.clientCredentialsGrantRequest(
          as,
          client,
          oauth.PrivateKeyJwt({ key: stranger.privateKey, kid }),
          { scope: 'api' },
          insecure,
        ),
      ),
    );
    expect((refused as oauth.ResponseBodyError).error).toBe('invalid_client');
  });

  it('refuses an ID token from another issuer (the library) and an access token from another Writ (@writ/verify)', async () => {
    const { client } = webClient();
    // Signed like Writ's (EdDSA, typ JWT) so the issuer is the only thing wrong with it.
    const { privateKey } = await generateKeyPair('EdDSA');
    const nonce = oauth.generateRandomNonce();
    const now = Math.floor(Date.now() / 1000);
    const foreignIdToken = await new SignJWT({ nonce })
      .setProtectedHeader({ alg: 'EdDSA', typ: 'JWT' })
      .setIssuer(otherIssuer.url)
      .setSubject(userId)
      .setAudience(web.clientId)
      .setIssuedAt(now)
      .setExpirationTime(now + 300)
      .sign(privateKey);
    const forged = new Response(
      JSON.stringify({ access_token: 'x', token_type: 'bearer', id_token: foreignIdToken }),
      { status: 200, headers: { 'content-type': 'application/json' } },
    );
    const refused = await errorOf(
      oauth.processAuthorizationCodeResponse(as, client, forged, {
        expectedNonce: nonce,
        requireIdToken: true,
      }),
    );
    expect(refused).toBeInstanceOf(oauth.OperationProcessingError);
    expect(String((refused as Error).message)).toMatch(/"iss"/);

    // A genuine Writ access token, but of another instance: our resource server refuses it.
    const foreignKey = await otherIssuer.addKey('admin');
    const foreignMachine = await registerClient(otherIssuer, foreignKey, {
      client_name: 'Foreign machine',
      grant_types: ['client_credentials'],
      redirect_uris: undefined,
      scope: 'api',
    });
    const foreignAs = await oauth.processDiscoveryResponse(
      new URL(otherIssuer.url),
      await oauth.discoveryRequest(new URL(otherIssuer.url), insecure),
    );
    const foreign = await oauth.processClientCredentialsResponse(
      foreignAs,
      { client_id: foreignMachine.clientId },
      await oauth.clientCredentialsGrantRequest(
        foreignAs,
        { client_id: foreignMachine.clientId },
        oauth.ClientSecretBasic(foreignMachine.clientSecret ?? ''),
        { scope: 'api' },
        insecure,
      ),
    );
    const verifier = createVerifier({
      issuer: service.url,
      audience: 'https://api.writ.test',
      jwksUri: String(as.jwks_uri),
    });
    await expect(verifier.verify(foreign.access_token)).rejects.toThrow();
    // Even told the other instance's keys, the issuer check alone refuses it.
    const misled = createVerifier({
      issuer: service.url,
      audience: 'https://api.writ.test',
      jwksUri: String(foreignAs.jwks_uri),
    });
    await expect(misled.verify(foreign.access_token)).rejects.toThrow();
    // Its own issuer accepts it, so the refusals above are about the issuer.
    const own = createVerifier({
      issuer: otherIssuer.url,
      audience: 'https://api.writ.test',
      jwksUri: String(foreignAs.jwks_uri),
    });
    expect((await own.verify(foreign.access_token)).claims.sub).toBe(foreignMachine.clientId);
  });

  it('delivers a back-channel logout token the relying party validates (jose, live JWKS)', async () => {
    const { client, auth } = webClient();
    const { result } = await codeFlow('openid api');
    const sid = oauth.getValidatedIdTokenClaims(result)?.sid;
    expect(typeof sid).toBe('string');
    const seen = rp.accepted.length;
    await oauth.processRevocationResponse(
      await oauth.revocationRequest(as, client, auth, String(result.refresh_token), insecure),
    );
    const logout = await eventually(() => rp.accepted.slice(seen).find((t) => t.sid === sid));
    expect(logout.sub).toBe(userId);
    expect(logout.events).toEqual({ [backchannelLogoutEvent]: {} });
    expect(rp.refused).toEqual([]);
  });
});
