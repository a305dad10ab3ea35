import type { Clock } from '../platform/clock.ts';
import type { PhantomTokensStores } from './phantom-tokens-store.ts';

/** Rows deleted per statement, so pruning never holds the write lock for long. */
const batchSize = 1000;
/** Statements per run: a backlog is worked off over several runs. */
const maxBatches = 50;

/**
 * Forgets opaque access tokens past their expiry (an expired one is refused whether it is
 * remembered or not), in bounded deletes, each its own statement. Returns how many went.
 */
export async function prunePhantomTokens(context: {
  readonly db: PhantomTokensStores;
  readonly clock: Clock;
}): Promise<number> {
  let total = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    const deleted = await context.db.phantomTokens.pruneExpired(context.clock.nowMs(), batchSize);
    total += deleted;
    if (deleted < batchSize) break;
  }
  return total;
}
