import type { ActivityRecord } from './activity-record.ts';

export interface ActivityStore {
  /** Appends an event; returns its id. */
  record(activity: ActivityRecord): Promise<number>;
  /**
   * Appends an event only if its user exists, in one statement whose work is the same either
   * way (a user-id lookup and, for a real user, the insert); the id, or undefined when no user
   * has that id. For events whose cost must not tell whether the account exists.
   */
  recordIfUserExists(activity: ActivityRecord): Promise<number | undefined>;
  /** Deletes one event by id (a provisional one its flow took back). */
  delete(id: number): Promise<void>;
  /** The user's newest `limit` events, newest first. */
  list(userId: string, limit: number): Promise<ActivityRecord[]>;
  /** Deletes at most `limit` events older than `beforeMs`; returns how many. */
  prune(beforeMs: number, limit: number): Promise<number>;
}

export interface ActivityStores {
  readonly activity: ActivityStore;
}
