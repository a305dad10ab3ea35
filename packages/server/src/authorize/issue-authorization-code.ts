import { hashSecret, randomSecret } from '../platform/crypto/random.ts';
import type { AuthorizationCodesStores } from './authorization-codes-store.ts';
import type { AuthorizationRequest } from './authorization-request.ts';

/** A code lives 60 s: long enough for a redirect and a token request, short for a thief. */
export const authorizationCodeTtlMs = 60_000;

/**
 * Mints an authorization code for a signed-in user: 256 random bits handed out once, stored
 * only as its SHA-256 with everything the token request will be held to (client, redirect
 * URI, PKCE challenge, scope, resource, nonce) and what the ID token will say (auth_time, the
 * browser session as `sid`).
 */
export async function issueAuthorizationCode(
  context: { readonly db: AuthorizationCodesStores; readonly clock: { nowMs(): number } },
  input: {
    readonly request: AuthorizationRequest;
    readonly userId: string;
    readonly authTimeMs: number;
    readonly browserSessionId: string;
  },
): Promise<string> {
  const code = randomSecret('wac_');
  const nowMs = context.clock.nowMs();
  const { request } = input;
  await context.db.authorizationCodes.create({
    codeHash: hashSecret(code),
    clientId: request.clientId,
    userId: input.userId,
    redirectUri: request.redirectUri,
    codeChallenge: request.codeChallenge,
    scope: request.scope,
    audience: request.audience,
    nonce: request.nonce,
    authTime: input.authTimeMs,
    browserSessionId: input.browserSessionId,
    createdAt: nowMs,
    expiresAt: nowMs + authorizationCodeTtlMs,
    redeemedAt: null,
    sessionId: null,
  });
  return code;
}
