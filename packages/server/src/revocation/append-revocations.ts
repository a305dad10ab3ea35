import type { RevocationCause, RevocationEntry, RevocationTarget } from '@writ/core';
import type { RevocationLogStores } from './revocation-log-store.ts';
import { newRevocations } from './revocation-policy.ts';

/**
 * Appends one entry per target to the log, in the caller's transaction. Returns the entries for
 * the caller to publish once that transaction commits, never before.
 */
export function appendRevocations(
  tx: RevocationLogStores,
  targets: readonly RevocationTarget[],
  cause: RevocationCause,
  nowSec: number,
): Promise<RevocationEntry[]> {
  return tx.revocations.append(newRevocations(targets, cause, nowSec));
}
