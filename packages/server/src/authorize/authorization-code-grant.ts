import type { RevocationEntry } from '@writ/core';
import {
  type GrantTokensTransaction,
  type SignedGrantTokens,
  signGrantTokens,
  writeGrantTokens,
} from '../oauth/issue-grant-tokens.ts';
import type { GrantOutcome, TokenGrant, TokenRequest } from '../oauth/token-grant.ts';
import { hashSecret } from '../platform/crypto/random.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import { revokeSessions } from '../sessions/revoke-sessions.ts';
import type { SessionsContext, SessionsTransaction } from '../sessions/sessions-context.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { AuthorizationCodeRecord } from './authorization-code-record.ts';
import type { AuthorizationCodesStores } from './authorization-codes-store.ts';
import { signIdToken } from './id-token.ts';
import { verifierMatchesS256 } from './pkce.ts';

/** The tokens of a redemption, signed before its unit of work, for the session it will open. */
interface SignedRedemption extends SignedGrantTokens {
  readonly idToken: string | undefined;
}

type Redemption =
  | {
      readonly kind: 'issued';
      readonly code: AuthorizationCodeRecord;
      readonly refreshToken: string | undefined;
    }
  | { readonly kind: 'refused'; readonly description: string }
  | { readonly kind: 'reused'; readonly entries: RevocationEntry[] }
  /** The unit found a code to redeem that the read before it did not: nothing was written. */
  | { readonly kind: 'unsigned' };

interface PresentedCode {
  readonly code: string;
  readonly verifier: string;
  readonly redirectUri: string;
}

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
 * transaction with the session it opens: its checks, the conditional "redeemed" mark, the
 * session, its first refresh token (and an opaque access token's phantom row) commit together or
 * not at all. A code presented after it was redeemed is refused and the session the first
 * redemption opened is revoked (RFC 6749 §4.1.2: the code leaked, and whoever redeemed first may
 * be the thief), whoever presents it. Every refusal is `invalid_grant` with a fixed text; a code
 * presented by a client it was not issued to, with another redirect URI or a wrong verifier stays
 * usable by its own client until it expires, so a thief without the verifier cannot spend it for
 * the legitimate client.
 *
 * Sign first, commit second: a read of the code (no unit of work) says whether the redemption
 * will succeed; if so the access token (and ID token) are signed, for a session whose id is
 * drawn now, before the unit runs. The write lock never waits on a signature, and a signature
 * that fails (an external signer that is down: 503) burns nothing: the client may present the
 * same code again. If the unit then does not redeem (redeemed meanwhile: reuse, handled as
 * always), the signed tokens are dropped. When the read already says the code fails, nothing is
 * signed and the unit refuses it (or revokes) exactly as without the read.
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

      const presented = { code, verifier, redirectUri };
      const codeHash = hashSecret(code);
      let signed = await signFirst(context, request, presented, codeHash);
      let redemption = await redeem(context, request, presented, codeHash, signed);
      if (redemption.kind === 'unsigned') {
        // The read raced a change the unit saw (states move one way, so this is all but
        // impossible): read and sign once more, then let the unit decide.
        signed = await signFirst(context, request, presented, codeHash);
        redemption = await redeem(context, request, presented, codeHash, signed);
      }
      if (redemption.kind === 'reused') {
        context.notifier.publish(redemption.entries);
        return invalidGrant('The authorization code was already used.');
      }
      if (redemption.kind === 'refused') return invalidGrant(redemption.description);
      if (redemption.kind === 'unsigned' || signed === undefined)
        return invalidGrant('The authorization code is invalid.');

      const { accessToken, idToken } = signed;
      const { code: redeemed, refreshToken } = redemption;
      return {
        ok: true,
        body: {
          access_token: accessToken.accessToken,
          token_type: accessToken.tokenType,
          expires_in: accessToken.expiresIn,
          scope: redeemed.scope,
          ...(refreshToken === undefined ? {} : { refresh_token: refreshToken }),
          ...(idToken === undefined ? {} : { id_token: idToken }),
        },
      };
    },
  };
}

/**
 * Why `code` (found, not redeemed) cannot be redeemed by this request, if it cannot: the checks
 * the read before signing and the unit both make, in the same order.
 */
async function refusalOf(
  context: AuthorizationCodeGrantContext,
  db: SessionsStores,
  request: TokenRequest,
  presented: PresentedCode,
  code: AuthorizationCodeRecord,
  nowMs: number,
): Promise<string | undefined> {
  if (code.clientId !== request.client.clientId) return 'The authorization code is invalid.';
  if (code.expiresAt <= nowMs) return 'The authorization code has expired.';
  if (code.redirectUri !== presented.redirectUri)
    return 'redirect_uri differs from the authorization request.';
  // Signed out (everywhere, or that session deleted) since the code was issued: the code
  // must not open a session the sign-out could no longer reach.
  if ((await findLiveSession({ db, clock: context.clock }, code.browserSessionId)) === undefined)
    return 'The sign-in this code came from has ended.';
  const resource = request.params.get('resource');
  if (resource !== undefined && resource !== code.audience)
    return 'resource differs from the authorization request.';
  if (!verifierMatchesS256(presented.verifier, code.codeChallenge))
    return 'code_verifier does not match the code_challenge.';
  return undefined;
}

/**
 * Reads the code (on the database, no unit of work, no write) and, if the redemption will
 * succeed, signs its tokens for the session it will open; `undefined` otherwise (nothing signed).
 */
async function signFirst(
  context: AuthorizationCodeGrantContext,
  request: TokenRequest,
  presented: PresentedCode,
  codeHash: string,
): Promise<SignedRedemption | undefined> {
  const { db } = context;
  if (!holdsAuthorizationCodes(db))
    throw new Error("the token endpoint's database holds no authorization codes store");
  const nowMs = context.clock.nowMs();
  const code = await db.authorizationCodes.find(codeHash);
  if (code === undefined || code.redeemedAt !== null) return undefined;
  if ((await refusalOf(context, db, request, presented, code, nowMs)) !== undefined)
    return undefined;
  const tokens = await signGrantTokens(context, {
    client: request.client,
    userId: code.userId,
    scope: code.scope,
    audience: code.audience,
    dpopJkt: request.dpopJkt,
    authTimeMs: code.authTime,
    browserSessionId: code.browserSessionId,
    origin: request.origin,
  });
  const idToken = code.scope.split(' ').includes('openid')
    ? await signIdToken(context, {
        userId: code.userId,
        clientId: code.clientId,
        accessToken: tokens.accessToken.accessToken,
        authTimeMs: code.authTime,
        nonce: code.nonce,
        browserSessionId: code.browserSessionId,
        nowMs: tokens.session.createdAt,
      })
    : undefined;
  return { ...tokens, idToken };
}

function redeem(
  context: AuthorizationCodeGrantContext,
  request: TokenRequest,
  presented: PresentedCode,
  codeHash: string,
  signed: SignedRedemption | undefined,
): Promise<Redemption> {
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
    const refusal = await refusalOf(context, tx, request, presented, code, nowMs);
    if (refusal !== undefined) return { kind: 'refused', description: refusal };
    // Nothing written yet: the caller reads and signs again.
    if (signed === undefined) return { kind: 'unsigned' };
    // Units of work run one at a time, so nobody redeemed it since the read; the conditional
    // update keeps that true for any store that runs them concurrently.
    if (!(await tx.authorizationCodes.redeem(codeHash, nowMs)))
      return { kind: 'refused', description: 'The authorization code was already used.' };
    const refreshToken = await writeGrantTokens(tx, request.client, signed);
    await tx.authorizationCodes.recordSession(codeHash, signed.session.id);
    return { kind: 'issued', code, refreshToken };
  });
}
