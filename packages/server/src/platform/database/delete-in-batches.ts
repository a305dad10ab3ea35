import type { UnitOfWork } from './unit-of-work.ts';

export interface DeleteInBatchesOptions {
  /** At most this many rows per transaction. Default 1000. */
  readonly rowsPerBatch?: number;
  /**
   * At most this many transactions per call; what is left waits for the next call (the next
   * housekeeping round), so a backlog is worked off over several rounds. Default 50.
   */
  readonly maxBatches?: number;
}

const defaultRowsPerBatch = 1000;
const defaultMaxBatches = 50;

/**
 * Deletes what `deleteBatch` matches, at most `rowsPerBatch` rows per transaction, and returns
 * how many rows went. SQLite has one writer: one DELETE over a table grown large (an attack, a
 * long outage of housekeeping) would hold the write lock — and every request that writes —
 * for as long as it takes. Each batch is a unit of its own (so it commits through the group
 * commit, its fsync off the event loop, like any request's unit), and the event loop gets a
 * turn between batches, so a request's write waits for one batch at most.
 *
 * `deleteBatch` runs one bounded statement on `tx` and returns how many rows it deleted; a
 * batch that deletes fewer than the limit ends the call. Bound it by key, as in
 * `DELETE … WHERE id IN (SELECT id … WHERE … LIMIT n)`: PostgreSQL's DELETE has no LIMIT, and
 * the subselect reads the same on both.
 */
export async function deleteInBatches<Stores>(
  db: UnitOfWork<Stores>,
  deleteBatch: (tx: Stores, limit: number) => Promise<number>,
  options: DeleteInBatchesOptions = {},
): Promise<number> {
  const rowsPerBatch = options.rowsPerBatch ?? defaultRowsPerBatch;
  const maxBatches = options.maxBatches ?? defaultMaxBatches;
  if (!Number.isInteger(rowsPerBatch) || rowsPerBatch < 1) {
    throw new RangeError('rowsPerBatch must be a positive integer');
  }
  if (
    !(Number.isInteger(maxBatches) || maxBatches === Number.POSITIVE_INFINITY) ||
    maxBatches < 1
  ) {
    throw new RangeError('maxBatches must be a positive integer or Infinity');
  }
  let deleted = 0;
  for (let batch = 0; batch < maxBatches; batch++) {
    if (batch > 0) await new Promise((resolve) => setImmediate(resolve));
    const count = await db.transaction((tx) => deleteBatch(tx, rowsPerBatch));
    deleted += count;
    if (count < rowsPerBatch) break;
  }
  return deleted;
}
