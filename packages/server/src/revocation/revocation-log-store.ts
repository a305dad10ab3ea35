import type { RevocationCause, RevocationEntry, RevocationTarget } from '@writ/core';

/** What to append; the log assigns the cursor. Times in seconds. */
export interface NewRevocation {
  readonly target: RevocationTarget;
  readonly cause: RevocationCause;
  readonly revokedAt: number;
  readonly forgetAfter: number;
}

/** The revocation log. Its times (`revokedAt`, `forgetAfter`, `issuedBefore`) are seconds. */
export interface RevocationLogStore {
  /** Appends entries; returns them with their cursors, in order. */
  append(entries: readonly NewRevocation[]): Promise<RevocationEntry[]>;
  /** Entries with cursor > `after` that are not yet forgettable at `nowSec`, ascending. */
  listAfter(after: number, limit: number, nowSec: number): Promise<RevocationEntry[]>;
  /** The highest cursor ever assigned (0 for an empty log). */
  head(): Promise<number>;
  /**
   * Deletes at most `limit` entries whose `forgetAfter` has passed, never the head; returns how
   * many. Reads the head and deletes in one statement sequence, so call it inside a transaction.
   */
  prune(nowSec: number, limit: number): Promise<number>;
}

export interface RevocationLogStores {
  readonly revocations: RevocationLogStore;
}
