import { type Clock, nowSec } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RevocationLogStores } from './revocation-log-store.ts';

/**
 * Forgets entries no token can still match, in bounded deletes; each reads and keeps the head
 * in its own transaction. Returns how many entries went.
 */
export function pruneRevocationLog(context: {
  readonly db: UnitOfWork<RevocationLogStores>;
  readonly clock: Clock;
}): Promise<number> {
  const pruneAtSec = nowSec(context.clock);
  return deleteInBatches(context.db, (tx, limit) => tx.revocations.prune(pruneAtSec, limit));
}
