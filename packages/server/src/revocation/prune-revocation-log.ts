import { type Clock, nowSec } from '../platform/clock.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RevocationLogStores } from './revocation-log-store.ts';

/** Forgets entries no token can still match; the head is read and kept in the same transaction. */
export function pruneRevocationLog(context: {
  readonly db: UnitOfWork<RevocationLogStores>;
  readonly clock: Clock;
}): Promise<number> {
  return context.db.transaction((tx) => tx.revocations.prune(nowSec(context.clock)));
}
