import type { BackchannelLogoutRecord, NewBackchannelLogout } from './backchannel-logout-record.ts';

export interface ClaimDueLogouts {
  readonly nowMs: number;
  readonly limit: number;
  /** Claimed entries are due again at this time if their attempt never reports back (a crash). */
  readonly leaseUntilMs: number;
}

export interface BackchannelLogoutsStore {
  /** Queues the entries, due at once. */
  enqueue(entries: readonly NewBackchannelLogout[], nowMs: number): Promise<void>;
  /** Whether any live entry is due at `nowMs`: the worker's idle poll, a read only. */
  anyDue(nowMs: number): Promise<boolean>;
  /**
   * Claims up to `limit` live entries due at `nowMs`, oldest due first, in one conditional update
   * that counts the attempt and moves them out of reach until `leaseUntilMs`: of two workers (two
   * instances) claiming at once, each entry goes to one. Returns them as updated.
   */
  claimDue(request: ClaimDueLogouts): Promise<BackchannelLogoutRecord[]>;
  /** Delivered (or nothing left to deliver): the entry goes. */
  remove(id: string): Promise<void>;
  /** The attempt failed: due again at `nextAttemptAt`. */
  retryLater(id: string, nextAttemptAt: number, error: string): Promise<void>;
  /** Gave up: kept, out of the worker's reach, for the operator. */
  markDead(id: string, nowMs: number, error: string): Promise<void>;
  /** Entries that gave up, newest first (for the operator and tests). */
  listDead(limit: number): Promise<BackchannelLogoutRecord[]>;
  /** Makes a dead entry due again with a fresh attempt budget; false when no dead entry has that id. */
  revive(id: string, nowMs: number): Promise<boolean>;
  /** Deletes up to `limit` entries dead since before `deadBeforeMs`; returns how many went. */
  pruneDead(deadBeforeMs: number, limit: number): Promise<number>;
}

export interface BackchannelLogoutsStores {
  readonly backchannelLogouts: BackchannelLogoutsStore;
}
