import type { Clock } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import { pruneRefreshTokensOf } from '../refresh-tokens/prune-refresh-tokens.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import type { SessionsStores } from './sessions-store.ts';

/**
 * How long an ended session (revoked, idle-expired or past its absolute lifetime) and its
 * refresh tokens are kept. Until its end every token of the family stays, used ones included:
 * presenting a used token is how theft is detected. After the end a presented token is refused
 * either way; the week keeps the session's record (and, for an expired one, the reuse report in
 * the user's activity) for a user reviewing a recent incident.
 */
export const endedSessionRetentionMs = 7 * 24 * 3600 * 1000;

/** Sessions per batch, and refresh tokens per delete: each write holds the lock briefly. */
const sessionsPerBatch = 100;
const tokensPerDelete = 1000;
/** At most this many batches per housekeeping run; the rest waits for the next run. */
const batchesPerRun = 50;

export interface PrunedSessions {
  readonly sessions: number;
  readonly refreshTokens: number;
}

/**
 * Forgets sessions that ended more than the retention ago, with their refresh tokens, in
 * bounded deletes (each its own transaction), so pruning never holds the write lock long.
 */
export async function pruneEndedSessions(context: {
  readonly db: UnitOfWork<SessionsStores & RefreshTokensStores>;
  readonly clock: Clock;
}): Promise<PrunedSessions> {
  const { db } = context;
  const endedBeforeMs = context.clock.nowMs() - endedSessionRetentionMs;
  let sessions = 0;
  let refreshTokens = 0;
  for (let batch = 0; batch < batchesPerRun; batch++) {
    const ids = await db.sessions.listEnded(endedBeforeMs, sessionsPerBatch);
    if (ids.length === 0) break;
    // Every token of the batch's sessions goes before the sessions do, however many deletes
    // that takes.
    refreshTokens += await deleteInBatches(
      db,
      (tx, limit) => pruneRefreshTokensOf(tx, ids, limit),
      {
        rowsPerBatch: tokensPerDelete,
        maxBatches: Number.POSITIVE_INFINITY,
      },
    );
    sessions += await db.transaction((tx) => tx.sessions.deleteEnded(ids, endedBeforeMs));
    if (ids.length < sessionsPerBatch) break;
  }
  return { sessions, refreshTokens };
}
