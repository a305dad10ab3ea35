import { randomId } from '../platform/crypto/random.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { issueRefreshToken } from '../refresh-tokens/issue-refresh-token.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import type { SessionClientGrant, SessionRecord } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

/**
 * Opens a session an OAuth client holds (mode `oauth`) in the caller's transaction, with the
 * first refresh token of its family when the client may refresh. Lifetimes are the first-party
 * ones: the session is the same kind of thing, a refresh-token family a user can see and end.
 */
export async function openClientSession(
  tx: SessionsStores & RefreshTokensStores,
  input: {
    readonly userId: string;
    readonly grant: SessionClientGrant;
    readonly withRefreshToken: boolean;
    readonly origin: RequestOrigin;
    readonly nowMs: number;
    readonly idleTtlSec: number;
    readonly absoluteTtlSec: number;
  },
): Promise<{ readonly session: SessionRecord; readonly refreshToken: string | undefined }> {
  const { nowMs } = input;
  const session: SessionRecord = {
    id: randomId('ses'),
    userId: input.userId,
    mode: 'oauth',
    createdAt: nowMs,
    lastUsedAt: nowMs,
    idleExpiresAt: nowMs + input.idleTtlSec * 1000,
    absoluteExpiresAt: nowMs + input.absoluteTtlSec * 1000,
    revokedAt: null,
    ip: input.origin.ip,
    userAgent: input.origin.userAgent,
    client: input.grant,
  };
  await tx.sessions.create(session);
  const refreshToken = input.withRefreshToken
    ? await issueRefreshToken(tx, session.id, nowMs)
    : undefined;
  return { session, refreshToken };
}
