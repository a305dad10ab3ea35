import { ClientNotLiveError, isClientLive } from '../clients/is-client-live.ts';
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
      // The time is read before the transaction is queued, on purpose: a disable queued after
      // this unit runs after it (units run in order), and its `sub` entry ends tokens issued up
      // to its own second, which this one's `iat` cannot be later than. Read inside the unit,
      // after a disable that read its time earlier but queued later, `iat` could fall past it.
      const nowMs = context.clock.nowMs();
      const minted = await context.db.transaction(async (tx) => {
        // Authenticated a moment ago (or from the client cache, up to 5 s old): a disable
        // that committed since must not be outlived by a token minted after its `sub` entry.
        if (!(await isClientLive(tx, client.clientId))) throw new ClientNotLiveError();
        return mintAccessToken(context, tx, {
          client,
          subject: client.clientId,
          scope: scope.scope,
          audience: target.audience,
          sessionId: undefined,
          dpopJkt: request.dpopJkt,
          nowMs,
        });
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
