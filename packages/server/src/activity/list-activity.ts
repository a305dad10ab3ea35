import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStores } from './activity-store.ts';

/** The user's newest `limit` events, newest first. */
export function listActivity(
  db: ActivityStores,
  userId: string,
  limit: number,
): Promise<ActivityRecord[]> {
  return db.activity.list(userId, limit);
}
