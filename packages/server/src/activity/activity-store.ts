import type { ActivityRecord } from './activity-record.ts';

export interface ActivityStore {
  /** Appends an event; returns its id. */
  record(activity: ActivityRecord): Promise<number>;
  /** Deletes one event by id (a provisional one its flow took back). */
  delete(id: number): Promise<void>;
  /** The user's newest `limit` events, newest first. */
  list(userId: string, limit: number): Promise<ActivityRecord[]>;
  /** Deletes activity older than `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>;
}

export interface ActivityStores {
  readonly activity: ActivityStore;
}
