import { ClientNotLiveError, isClientLiveCached } from '../clients/is-client-live.ts';
import { grantedScope } from './granted-scope.ts';
import { mintAccessToken } from './mint-access-token.ts';
import type { OAuthContext } from './oauth-context.ts';
import { requestedResource } from './requested-resource.ts';
import type { GrantOutcome, TokenGrant, TokenRequest } from './token-grant.ts';

/**
 * `client_credentials` (RFC 6749 §4.4): the client acts for itself. No user, so no session and no
 * refresh token (§4.4.3: one SHOULD NOT be included); `sub` is the client's id (RFC 9068 §2.2),
 * the scope is at most the client's allowed scopes and the audience one of its resources.
 * Throws `ClientNotLiveError` when the client was disabled since it authenticated.
 */
export function clientCredentialsGrant(context: OAuthContext): TokenGrant {
  return {
    grantType: 'client_credentials',
    async exchange(request: TokenRequest): Promise<GrantOutcome> {
      const { client } = request;
      // Only a client that can keep a secret may act for itself: a public client's id is no proof.
      if (client.kind !== 'confidential') {
        return {
          ok: false,
          error: 'unauthorized_client',
          description: 'The client is not allowed to use this grant type.',
        };
      }
      const scope = grantedScope(request.params.get('scope'), client.scopes);
      if (!scope.ok) return { ok: false, error: 'invalid_scope', description: invalidScopeText };
      const target = requestedResource(request.params.get('resource'), client.audiences);
      if (!target.ok) return { ok: false, error: 'invalid_target', description: invalidTargetText };
      // No unit of work, no write: the token is a self-contained JWT. The client is asked for
      // again, through the cache, right before the token's time is read: a disable on this
      // instance since it authenticated is refused here; one elsewhere (or a moment after this
      // read) is covered by the `sub` entry the disable writes, which ends tokens issued up to
      // the cache's staleness bound after it (clients/disable-client.ts).
      if (!(await isClientLiveCached(context.db, client.clientId))) throw new ClientNotLiveError();
      const minted = await mintAccessToken(context, context.db, {
        client,
        subject: client.clientId,
        scope: scope.scope,
        audience: target.audience,
        sessionId: undefined,
        dpopJkt: request.dpopJkt,
        nowMs: context.clock.nowMs(),
      });
      return {
        ok: true,
        body: {
          access_token: minted.accessToken,
          token_type: minted.tokenType,
          expires_in: minted.expiresIn,
          scope: scope.scope,
        },
      };
    },
  };
}

export const invalidScopeText = 'The requested scope is not allowed for this client.';
export const invalidTargetText = 'The requested resource is not allowed for this client.';
