import type { RevocationEntry } from '@writ/core';
import {
  type GrantTokens,
  type GrantTokensTransaction,
  issueGrantTokens,
} from '../oauth/issue-grant-tokens.ts';
import type { GrantOutcome, TokenGrant, TokenRequest } from '../oauth/token-grant.ts';
import { hashSecret } from '../platform/crypto/random.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import { revokeSessions } from '../sessions/revoke-sessions.ts';
import type { SessionsContext, SessionsTransaction } from '../sessions/sessions-context.ts';
import type { AuthorizationCodeRecord } from './authorization-code-record.ts';
import type { AuthorizationCodesStores } from './authorization-codes-store.ts';
import { signIdToken } from './id-token.ts';
import { verifierMatchesS256 } from './pkce.ts';

type Redemption =
  | {
      readonly kind: 'issued';
      readonly code: AuthorizationCodeRecord;
      readonly tokens: GrantTokens;
    }
  | { readonly kind: 'refused'; readonly description: string }
  | { readonly kind: 'reused'; readonly entries: RevocationEntry[] };

/** The stores the token endpoint's unit of work is typed with (oauth/oauth-context.ts). */
type TokenEndpointStores = SessionsTransaction & GrantTokensTransaction;

/**
 * What the grant needs: the token endpoint's context. Its unit of work is typed without the
 * authorize stores (oauth/ owns that type), though the service binds every store to every
 * transaction (app/stores.ts); `holdsAuthorizationCodes` checks that once per redemption.
 */
export type AuthorizationCodeGrantContext = Omit<SessionsContext, 'db'> & {
  readonly db: UnitOfWork<TokenEndpointStores>;
};

/**
 * Whether the unit of work the token endpoint opened holds the authorization codes. Every
 * transaction of the service holds every store (app/stores.ts); a composition that left these
 * out is a programming error, thrown as one rather than answered as a refused grant.
 */
function holdsAuthorizationCodes(
  tx: TokenEndpointStores,
): tx is TokenEndpointStores & AuthorizationCodesStores {
  return 'authorizationCodes' in tx;
}

const invalidGrant = (description: string): GrantOutcome => ({
  ok: false,
  error: 'invalid_grant',
  description,
});

/**
 * `grant_type=authorization_code` (RFC 6749 §4.1.3, RFC 7636 §4.6). The code is redeemed in one
 * transaction with the session it opens: its checks, the conditional "redeemed" mark and
 * `issueGrantTokens` commit together or not at all. A code presented after it was redeemed is
 * refused and the session the first redemption opened is revoked (RFC 6749 §4.1.2: the code
 * leaked, and whoever redeemed first may be the thief), whoever presents it. Every refusal is
 * `invalid_grant` with a fixed text; a code presented by a client it was not issued to, with
 * another redirect URI or a wrong verifier stays usable by its own client until it expires, so
 * a thief without the verifier cannot spend it for the legitimate client.
 */
export function authorizationCodeGrant(context: AuthorizationCodeGrantContext): TokenGrant {
  return {
    grantType: 'authorization_code',
    async exchange(request: TokenRequest): Promise<GrantOutcome> {
      const code = request.params.get('code');
      const verifier = request.params.get('code_verifier');
      const redirectUri = request.params.get('redirect_uri');
      if (code === undefined || code === '')
        return { ok: false, error: 'invalid_request', description: 'code is required.' };
      if (verifier === undefined)
        return {
          ok: false,
          error: 'invalid_request',
          description: 'code_verifier is required (PKCE).',
        };
      if (redirectUri === undefined)
        return { ok: false, error: 'invalid_request', description: 'redirect_uri is required.' };
      if (!request.client.grantTypes.includes('authorization_code'))
        return {
          ok: false,
          error: 'unauthorized_client',
          description: 'This client may not use the authorization code grant.',
        };

      const redemption = await redeem(context, request, { code, verifier, redirectUri });
      if (redemption.kind === 'reused') {
        context.notifier.publish(redemption.entries);
        return invalidGrant('The authorization code was already used.');
      }
      if (redemption.kind === 'refused') return invalidGrant(redemption.description);

      const { tokens, code: redeemed } = redemption;
      const idToken = redeemed.scope.split(' ').includes('openid')
        ? await signIdToken(context, {
            userId: redeemed.userId,
            clientId: redeemed.clientId,
            accessToken: tokens.accessToken,
            authTimeMs: redeemed.authTime,
            nonce: redeemed.nonce,
            browserSessionId: redeemed.browserSessionId,
            nowMs: context.clock.nowMs(),
          })
        : undefined;
      return {
        ok: true,
        body: {
          access_token: tokens.accessToken,
          token_type: tokens.tokenType,
          expires_in: tokens.expiresIn,
          scope: redeemed.scope,
          ...(tokens.refreshToken === undefined ? {} : { refresh_token: tokens.refreshToken }),
          ...(idToken === undefined ? {} : { id_token: idToken }),
        },
      };
    },
  };
}

function redeem(
  context: AuthorizationCodeGrantContext,
  request: TokenRequest,
  presented: { readonly code: string; readonly verifier: string; readonly redirectUri: string },
): Promise<Redemption> {
  const codeHash = hashSecret(presented.code);
  return context.db.transaction(async (tx): Promise<Redemption> => {
    if (!holdsAuthorizationCodes(tx))
      throw new Error("the token endpoint's transaction holds no authorization codes store");
    const nowMs = context.clock.nowMs();
    const code = await tx.authorizationCodes.find(codeHash);
    if (code === undefined)
      return { kind: 'refused', description: 'The authorization code is invalid.' };
    if (code.redeemedAt !== null) {
      const revoked =
        code.sessionId === null
          ? { entries: [] }
          : await revokeSessions(tx, {
              userId: code.userId,
              sessionIds: [code.sessionId],
              cause: 'authorization_code_reuse',
              activity: 'session_revoked',
              origin: request.origin,
              nowMs,
              which: 'unrevoked',
            });
      return { kind: 'reused', entries: revoked.entries };
    }
    if (code.clientId !== request.client.clientId)
      return { kind: 'refused', description: 'The authorization code is invalid.' };
    if (code.expiresAt <= nowMs)
      return { kind: 'refused', description: 'The authorization code has expired.' };
    if (code.redirectUri !== presented.redirectUri)
      return {
        kind: 'refused',
        description: 'redirect_uri differs from the authorization request.',
      };
    // Signed out (everywhere, or that session deleted) since the code was issued: the code
    // must not open a session the sign-out could no longer reach.
    if (
      (await findLiveSession({ db: tx, clock: context.clock }, code.browserSessionId)) === undefined
    )
      return { kind: 'refused', description: 'The sign-in this code came from has ended.' };
    const resource = request.params.get('resource');
    if (resource !== undefined && resource !== code.audience)
      return { kind: 'refused', description: 'resource differs from the authorization request.' };
    if (!verifierMatchesS256(presented.verifier, code.codeChallenge))
      return { kind: 'refused', description: 'code_verifier does not match the code_challenge.' };
    // Units of work run one at a time, so nobody redeemed it since the read; the conditional
    // update keeps that true for any store that runs them concurrently.
    if (!(await tx.authorizationCodes.redeem(codeHash, nowMs)))
      return { kind: 'refused', description: 'The authorization code was already used.' };
    const tokens = await issueGrantTokens(context, tx, {
      client: request.client,
      userId: code.userId,
      scope: code.scope,
      audience: code.audience,
      dpopJkt: request.dpopJkt,
      authTimeMs: code.authTime,
      browserSessionId: code.browserSessionId,
      origin: request.origin,
    });
    await tx.authorizationCodes.recordSession(codeHash, tokens.session.id);
    return { kind: 'issued', code, tokens };
  });
}
