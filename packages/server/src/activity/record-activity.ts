import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStores } from './activity-store.ts';

/** Appends to the user's activity log, in the caller's transaction when it passes one. */
export function recordActivity(db: ActivityStores, activity: ActivityRecord): Promise<void> {
  return db.activity.record(activity);
}
