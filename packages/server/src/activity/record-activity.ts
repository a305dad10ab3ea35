import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStores } from './activity-store.ts';

/** Appends to the user's activity log, in the caller's transaction when it passes one; the id. */
export function recordActivity(db: ActivityStores, activity: ActivityRecord): Promise<number> {
  return db.activity.record(activity);
}

/**
 * Appends the event if its user exists, doing the same work when it does not: see
 * ActivityStore.recordIfUserExists. The id, or undefined when there is no such user.
 */
export function recordActivityIfUserExists(
  db: ActivityStores,
  activity: ActivityRecord,
): Promise<number | undefined> {
  return db.activity.recordIfUserExists(activity);
}

/** Takes back an event recorded provisionally (see sessions/sign-in.ts), in the caller's transaction. */
export function retractActivity(db: ActivityStores, id: number): Promise<void> {
  return db.activity.delete(id);
}
