import type { Clock } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { PhantomTokensStores } from './phantom-tokens-store.ts';

/**
 * Forgets opaque access tokens past their expiry (an expired one is refused whether it is
 * remembered or not), in bounded deletes, each its own transaction. Returns how many went.
 */
export function prunePhantomTokens(context: {
  readonly db: UnitOfWork<PhantomTokensStores>;
  readonly clock: Clock;
}): Promise<number> {
  const nowMs = context.clock.nowMs();
  return deleteInBatches(context.db, (tx, limit) => tx.phantomTokens.pruneExpired(nowMs, limit));
}
