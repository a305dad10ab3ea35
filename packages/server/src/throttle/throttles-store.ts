import type { ThrottleRecord } from './throttle-record.ts';

export interface ThrottlesStore {
  find(key: string): Promise<ThrottleRecord | undefined>;
  save(throttle: ThrottleRecord): Promise<void>;
  delete(key: string): Promise<void>;
  /**
   * Deletes at most `limit` throttles neither blocking at `nowMs` nor updated since `beforeMs`;
   * returns how many.
   */
  prune(beforeMs: number, nowMs: number, limit: number): Promise<number>;
}

export interface ThrottlesStores {
  readonly throttles: ThrottlesStore;
}
