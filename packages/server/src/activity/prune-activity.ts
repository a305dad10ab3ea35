import type { Clock } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ActivityStores } from './activity-store.ts';

/** How long a user's activity log reaches back. */
export const activityRetentionMs = 90 * 24 * 3600 * 1000;

/** Forgets activity older than the retention, in bounded deletes; returns how many events went. */
export function pruneActivity(context: {
  readonly db: UnitOfWork<ActivityStores>;
  readonly clock: Clock;
}): Promise<number> {
  const beforeMs = context.clock.nowMs() - activityRetentionMs;
  return deleteInBatches(context.db, (tx, limit) => tx.activity.prune(beforeMs, limit));
}
