import { calculateJwkThumbprint, decodeJwt, exportJWK } from 'jose';
import * as oauth from 'oauth4webapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RegisteredClient, registerClient } from './support/authorize-flow.ts';
import { authorizeThroughThePage } from './support/oauth4webapi-flow.ts';

/**
 * oauth4webapi 3 against the running service with a public client (no secret: PKCE is all that
 * ties the code to it) whose tokens are DPoP-bound: discovery, the authorization response
 * validated with RFC 9207's iss, the code exchanged with a DPoP proof (retrying once with the
 * server's nonce when asked), the ID token validated.
 */

const email = 'noor@example.com';
const password = 'correct horse battery staple';
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let service: TestService;
let registered: RegisteredClient;
let userId: string;

beforeAll(async () => {
  service = await startTestService();
  userId = await service.addUser(email, password);
  registered = await registerClient(service, await service.addKey('admin'), {
    client_name: 'Native notes',
    token_endpoint_auth_method: 'none',
    redirect_uris: ['http://127.0.0.1:5556/callback'],
  });
});
afterAll(() => service.destroy());

/** OpenID discovery of the service, through the library. */
async function discover(): Promise<oauth.AuthorizationServer> {
  const issuer = new URL(service.url);
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oidc', ...insecure }),
  );
}

/** Code + PKCE for the public client up to the validated authorization response. */
function authorize(as: oauth.AuthorizationServer, scope: string, nonce?: string) {
  return authorizeThroughThePage(
    service,
    as,
    { clientId: registered.clientId, redirectUri: registered.redirectUri, scope, nonce },
    { email, password },
  );
}

describe('oauth4webapi 3 with a public client', () => {
  it('runs code + PKCE with DPoP-bound tokens and an ID token', async () => {
    const as = await discover();
    const client: oauth.Client = { client_id: registered.clientId };
    const nonce = oauth.generateRandomNonce();
    const { params, codeVerifier } = await authorize(as, 'openid api', nonce);

    const keyPair = await oauth.generateKeyPair('ES256');
    const dpop = oauth.DPoP(client, keyPair);
    const exchange = () =>
      oauth.authorizationCodeGrantRequest(
        as,
        client,
        oauth.None(),
        params,
        registered.redirectUri,
        codeVerifier,
        { DPoP: dpop, ...insecure },
      );
    let response = await exchange();
    let result: oauth.TokenEndpointResponse;
    try {
      result = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      });
    } catch (error) {
      // RFC 9449 §8: the server may ask for its nonce first; the code is not spent by that.
      if (!oauth.isDPoPNonceError(error)) throw error;
      response = await exchange();
      result = await oauth.processAuthorizationCodeResponse(as, client, response, {
        expectedNonce: nonce,
        requireIdToken: true,
      });
    }

    expect(result.token_type).toBe('dpop');
    const claims = oauth.getValidatedIdTokenClaims(result);
    expect(claims?.sub).toBe(userId);
    expect(claims?.aud).toBe(registered.clientId);
    expect(claims?.nonce).toBe(nonce);
    const access = decodeJwt(result.access_token) as { cnf?: { jkt?: string } };
    expect(access.cnf?.jkt).toBe(await calculateJwkThumbprint(await exportJWK(keyPair.publicKey)));
  });

  it("refuses a public client's code exchanged without the verifier", async () => {
    const as = await discover();
    const client: oauth.Client = { client_id: registered.clientId };
    // The verifier sent below is a fresh one, not the one the code was bound to.
    const { params } = await authorize(as, 'api');
    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      registered.redirectUri,
      oauth.generateRandomCodeVerifier(),
      insecure,
    );
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: string }).error).toBe('invalid_grant');
  });
});
