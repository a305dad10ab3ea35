import { TokenKind } from '@writ/core';
import { csrfClaimFor } from '@writ/verify/internal';
import { randomTokenId } from '../platform/crypto/random.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import { csrfTokenFor } from './csrf.ts';
import type { SessionRecord } from './session-record.ts';
import type { SessionsContext, SessionsTransaction } from './sessions-context.ts';

/** Scope of first-party sessions until clients and consent arrive with the OAuth endpoints. */
export const firstPartyScope = 'api';
export const firstPartyClientId = 'writ';

export interface IssuedTokens {
  readonly accessToken: string;
  readonly expiresIn: number;
  readonly refreshToken: string;
  /** Cookie mode: the CSRF value the page must echo in `X-CSRF-Token` (stable for the session). */
  readonly csrfToken: string | undefined;
}

/**
 * Mints an access token for a session and a new refresh token in its family. The refresh token
 * is stored only as a hash; the caller hands the plaintext to the client once.
 */
export async function issueTokens(
  context: SessionsContext,
  tx: SessionsTransaction,
  session: SessionRecord,
): Promise<IssuedTokens> {
  const nowMs = context.clock.nowMs();
  const refreshToken = await issueRefreshToken(tx, session.id, nowMs);
  return signAccessToken(context, session, refreshToken, nowMs);
}

/** A first-party access token, signed but not yet handed out (see `signSessionAccessToken`). */
export type SignedSessionToken = Omit<IssuedTokens, 'refreshToken'>;

/**
 * Signs the access token that goes with a refresh token already written. It needs no database
 * state, so a flow may call it after its unit of work committed instead of holding the write
 * lock while the signature is made.
 */
export async function signAccessToken(
  context: Pick<SessionsContext, 'config' | 'signer' | 'csrfKey'>,
  session: SessionRecord,
  refreshToken: string,
  nowMs: number,
): Promise<IssuedTokens> {
  return { ...(await signSessionAccessToken(context, session, nowMs)), refreshToken };
}

/**
 * Signs a first-party session's access token (and derives its CSRF value in cookie mode) from
 * the session alone: refresh signs it before its rotation commits, and drops it if the rotation
 * does not (sessions/refresh.ts).
 */
export async function signSessionAccessToken(
  context: Pick<SessionsContext, 'config' | 'signer' | 'csrfKey'>,
  session: SessionRecord,
  nowMs: number,
): Promise<SignedSessionToken> {
  const csrfToken =
    session.mode === 'cookie' ? csrfTokenFor(context.csrfKey, session.id) : undefined;
  const iat = Math.floor(nowMs / 1000);
  const ttl = context.config.accessTokenTtlSec;
  const accessToken = await context.signer.sign({
    typ: TokenKind.access,
    claims: {
      iss: context.config.issuer,
      sub: session.userId,
      aud: context.config.audience,
      iat,
      nbf: iat,
      exp: iat + ttl,
      jti: randomTokenId(),
      sid: session.id,
      scope: firstPartyScope,
      client_id: firstPartyClientId,
      ...(csrfToken === undefined ? {} : { csrf: csrfClaimFor(csrfToken) }),
    },
  });
  return { accessToken, expiresIn: ttl, csrfToken };
}
