import type { Clock } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ClientsStores } from './clients-store.ts';

/**
 * Forgets the jtis of client assertions past their expiry (a copy of an expired assertion no
 * longer verifies, so its jti need not be remembered), in bounded deletes, each its own
 * transaction. Returns how many went. For the housekeeping loop: an assertion's record is one
 * insert on the token request's path, never a delete there.
 */
export function pruneClientAssertions(context: {
  readonly db: UnitOfWork<ClientsStores>;
  readonly clock: Clock;
}): Promise<number> {
  const nowMs = context.clock.nowMs();
  return deleteInBatches(context.db, (tx, limit) =>
    tx.clients.pruneExpiredAssertions(nowMs, limit),
  );
}
