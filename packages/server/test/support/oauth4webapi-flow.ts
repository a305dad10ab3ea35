import * as oauth from 'oauth4webapi';
import type { TestService } from '../../../../test/support/test-service.ts';
import { signInThroughThePage } from './interop-rp.ts';

/** What `authorizeThroughThePage` sends: the client, the scope, and a nonce when the test wants one. */
export interface CodeRequest {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly scope: string;
  readonly nonce?: string | undefined;
}

/**
 * The front half of code + PKCE through oauth4webapi's own functions: a fresh verifier (S256)
 * and state, the authorization request at `as`, the sign-in page driven as the user, and the
 * authorization response validated (iss and state). Returns the validated parameters, for
 * `authorizationCodeGrantRequest`, and the verifier.
 */
export async function authorizeThroughThePage(
  service: TestService,
  as: oauth.AuthorizationServer,
  request: CodeRequest,
  credentials: { readonly email: string; readonly password: string },
): Promise<{ readonly params: URLSearchParams; readonly codeVerifier: string }> {
  const codeVerifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(String(as.authorization_endpoint));
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: request.clientId,
    redirect_uri: request.redirectUri,
    scope: request.scope,
    code_challenge: await oauth.calculatePKCECodeChallenge(codeVerifier),
    code_challenge_method: 'S256',
    state,
    ...(request.nonce === undefined ? {} : { nonce: request.nonce }),
  }).toString();
  const callback = await signInThroughThePage(service, url, credentials);
  const params = oauth.validateAuthResponse(as, { client_id: request.clientId }, callback, state);
  return { params, codeVerifier };
}
