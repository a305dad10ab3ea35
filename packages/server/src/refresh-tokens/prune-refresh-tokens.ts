import type { RefreshTokensStores } from './refresh-tokens-store.ts';

/**
 * Deletes up to `limit` refresh tokens of sessions that ended, in one statement; returns how
 * many went. The sessions module decides which sessions ended and when their tokens may go:
 * while a session could still live, even a used token must stay, since its reuse is the theft
 * signal.
 */
export function pruneRefreshTokensOf(
  db: RefreshTokensStores,
  sessionIds: readonly string[],
  limit: number,
): Promise<number> {
  return db.refreshTokens.deleteOfSessions(sessionIds, limit);
}
