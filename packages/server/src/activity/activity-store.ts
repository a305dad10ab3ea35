import type { ActivityRecord } from './activity-record.ts';

export interface ActivityStore {
  record(activity: ActivityRecord): Promise<void>;
  /** The user's newest `limit` events, newest first. */
  list(userId: string, limit: number): Promise<ActivityRecord[]>;
  /** Deletes activity older than `beforeMs`; returns how many. */
  prune(beforeMs: number): Promise<number>;
}

export interface ActivityStores {
  readonly activity: ActivityStore;
}
