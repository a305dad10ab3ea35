import type { Clock } from '../platform/clock.ts';
import type { ActivityStores } from './activity-store.ts';

/** How long a user's activity log reaches back. */
export const activityRetentionMs = 90 * 24 * 3600 * 1000;

/** Forgets activity older than the retention; returns how many events went. */
export function pruneActivity(context: {
  readonly db: ActivityStores;
  readonly clock: Clock;
}): Promise<number> {
  return context.db.activity.prune(context.clock.nowMs() - activityRetentionMs);
}
