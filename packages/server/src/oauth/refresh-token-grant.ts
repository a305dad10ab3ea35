import { parseScope } from '@writ/core';
import { rotateRefreshToken } from '../sessions/refresh.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import { invalidScopeText, invalidTargetText } from './client-credentials-grant.ts';
import { grantedScope } from './granted-scope.ts';
import { signClientAccessToken } from './mint-access-token.ts';
import type { OAuthContext } from './oauth-context.ts';
import type { GrantOutcome, TokenGrant, TokenRequest } from './token-grant.ts';

const maxRefreshTokenLength = 256;
const invalidGrantText = 'The refresh token is invalid, expired or revoked.';

/**
 * `refresh_token` (RFC 6749 §6), rotating: the session's family is the first-party one, rotated by
 * the same compare-and-swap, and a token presented twice revokes the family exactly as
 * `/auth/refresh` does. The token must belong to the authenticated client: another client
 * presenting it is treated as theft (the family is revoked), and so is a first-party token here.
 * The scope may narrow per access token, never widen beyond the original grant; the family keeps
 * its original scope (§6: a new refresh token has the scope of the one it replaces).
 */
export function refreshTokenGrant(context: OAuthContext): TokenGrant {
  return {
    grantType: 'refresh_token',
    async exchange(request: TokenRequest): Promise<GrantOutcome> {
      const { client, params } = request;
      const refreshToken = params.get('refresh_token');
      if (refreshToken === undefined) {
        return { ok: false, error: 'invalid_request', description: 'refresh_token is missing.' };
      }
      if (refreshToken.length > maxRefreshTokenLength) {
        return { ok: false, error: 'invalid_grant', description: invalidGrantText };
      }
      const requestedScope = params.get('scope');
      const resource = params.get('resource');
      // The scope this access token gets: the session's grant, narrowed as asked, never widened.
      const scopeOf = (session: SessionRecord) =>
        session.client === undefined
          ? undefined
          : grantedScope(requestedScope, [...parseScope(session.client.scope)]);
      const rotation = await rotateRefreshToken(
        context,
        {
          refreshToken,
          transport: 'oauth',
          client: {
            clientId: client.clientId,
            dpopJkt: request.dpopJkt,
            // Decided on the live session inside the rotation, so a refusal spends no token.
            refuses: (session) => {
              const narrowed = scopeOf(session);
              if (narrowed === undefined || !narrowed.ok) return 'invalid_scope';
              if (resource !== undefined && resource !== session.client?.audience)
                return 'invalid_target';
              return undefined;
            },
          },
        },
        request.origin,
        {
          // Only a live session of this client that does not refuse the request gets here
          // (rotateRefreshToken), so it has a grant and a scope.
          async sign(session, nowMs) {
            const narrowed = scopeOf(session);
            if (session.client === undefined || narrowed === undefined || !narrowed.ok)
              throw new Error('a refresh token grant signed for a session it cannot rotate');
            const signed = await signClientAccessToken(context, {
              client,
              subject: session.userId,
              scope: narrowed.scope,
              audience: session.client.audience,
              sessionId: session.id,
              dpopJkt: request.dpopJkt,
              nowMs,
            });
            return { ...signed, scope: narrowed.scope };
          },
          // An opaque token's phantom row is written with the rotation it belongs to.
          writeFor: ({ phantom }) =>
            phantom === undefined ? undefined : (tx) => tx.phantomTokens.insert(phantom),
        },
      );
      if (!rotation.ok) return refusedRotation(rotation.error);
      const { signed } = rotation;
      return {
        ok: true,
        body: {
          access_token: signed.accessToken,
          token_type: signed.tokenType,
          expires_in: signed.expiresIn,
          scope: signed.scope,
          refresh_token: rotation.refreshToken,
        },
      };
    },
  };
}

function refusedRotation(
  error: 'invalid_grant' | 'invalid_dpop_proof' | 'invalid_scope' | 'invalid_target',
): GrantOutcome {
  switch (error) {
    case 'invalid_dpop_proof':
      return {
        ok: false,
        error,
        description: 'The refresh token is bound to a DPoP key this request did not prove.',
      };
    case 'invalid_scope':
      return { ok: false, error, description: invalidScopeText };
    case 'invalid_target':
      return { ok: false, error, description: invalidTargetText };
    case 'invalid_grant':
      return { ok: false, error, description: invalidGrantText };
  }
}
