import { DatabaseSync } from 'node:sqlite';

/**
 * Another connection to a database file, read-only, as another process would open it: it sees
 * only what has committed. `count(table)` is how many rows of `table` it sees now.
 */
export interface CommittedRows {
  count(table: string): number;
  close(): void;
}

export function committedRows(file: string): CommittedRows {
  const observer = new DatabaseSync(file, { readOnly: true });
  return {
    count(table) {
      const row = observer.prepare(`SELECT count(*) AS n FROM ${table}`).get() as { n: number };
      return Number(row.n);
    },
    close: () => observer.close(),
  };
}

/**
 * Runs `prune` and reads `count()` before it starts and then once per turn of the event loop
 * until it settles (and once after). A prune that deletes in bounded batches, each committed in
 * a transaction of its own with a turn of the loop between them, shows every batch here: no
 * two readings are further apart than one batch. One that deletes everything without giving
 * the loop a turn shows the table full, then empty.
 */
export async function countsWhilePruning<T>(
  count: () => number,
  prune: () => Promise<T>,
): Promise<{ readonly result: T; readonly counts: readonly number[] }> {
  const counts = [count()];
  let settled = false;
  const pruning = prune().finally(() => {
    settled = true;
  });
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    counts.push(count());
  }
  const result = await pruning;
  counts.push(count());
  return { result, counts };
}

/** The largest drop between two successive readings. */
export function largestDrop(counts: readonly number[]): number {
  let largest = 0;
  for (let i = 1; i < counts.length; i++) {
    largest = Math.max(largest, (counts[i - 1] ?? 0) - (counts[i] ?? 0));
  }
  return largest;
}
