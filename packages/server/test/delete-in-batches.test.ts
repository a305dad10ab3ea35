import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testClock } from '../../../test/support/test-clock.ts';
import { pruneActivity } from '../src/activity/prune-activity.ts';
import { openServiceDatabase, type ServiceDatabase } from '../src/app/open-service-database.ts';
import type { ServiceStores } from '../src/app/stores.ts';
import { deleteInBatches } from '../src/platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../src/platform/database/unit-of-work.ts';

/**
 * Pruning a table grown large never holds SQLite's one write lock for the whole delete: it goes
 * in batches, each its own transaction, and a request's write gets in between them.
 */
let dir: string;
let database: ServiceDatabase;
let storage: UnitOfWork<ServiceStores>;
/** A second connection, as another process would open: it sees only what has committed. */
let observer: DatabaseSync;
const userId = 'usr_pruned';
const oldEvent = {
  userId,
  sessionId: null,
  type: 'sign_in' as const,
  at: 1_000,
  ip: '127.0.0.1',
  userAgent: 'test',
};

function committedActivityRows(): number {
  const row = observer.prepare('SELECT count(*) AS n FROM activity').get() as { n: number };
  return Number(row.n);
}

async function addOldActivity(count: number): Promise<void> {
  await storage.transaction(async (tx) => {
    for (let i = 0; i < count; i++) await tx.activity.record(oldEvent);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-delete-in-batches-'));
  const file = join(dir, 'writ.db');
  database = await openServiceDatabase(`sqlite:${file}`);
  storage = database.db;
  await storage.users.create({
    id: userId,
    email: 'p@example.com',
    passwordHash: 'x',
    createdAt: 1,
  });
  observer = new DatabaseSync(file, { readOnly: true });
});
afterAll(async () => {
  observer.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(async () => {
  await storage.activity.prune(Number.MAX_SAFE_INTEGER, 1_000_000);
});

describe('deleteInBatches', () => {
  it('removes more rows than one batch holds, one committed transaction per batch', async () => {
    await addOldActivity(2_500);
    const seenBeforeEachBatch: number[] = [];
    const deleted = await deleteInBatches(
      storage,
      (tx, limit) => {
        seenBeforeEachBatch.push(committedActivityRows());
        return tx.activity.prune(2_000, limit);
      },
      { rowsPerBatch: 1_000 },
    );
    expect(deleted).toBe(2_500);
    expect(committedActivityRows()).toBe(0);
    // Another connection saw each batch commit before the next one began.
    expect(seenBeforeEachBatch).toEqual([2_500, 1_500, 500]);
  });

  it('stops after maxBatches, leaving the rest for the next call', async () => {
    await addOldActivity(250);
    const options = { rowsPerBatch: 100, maxBatches: 2 };
    const prune = (tx: ServiceStores, limit: number) => tx.activity.prune(2_000, limit);
    expect(await deleteInBatches(storage, prune, options)).toBe(200);
    expect(committedActivityRows()).toBe(50);
    expect(await deleteInBatches(storage, prune, options)).toBe(50);
  });

  it('refuses a batch size or batch count that is no bound', async () => {
    const prune = (tx: ServiceStores, limit: number) => tx.activity.prune(2_000, limit);
    await expect(deleteInBatches(storage, prune, { rowsPerBatch: 0 })).rejects.toThrow(RangeError);
    await expect(deleteInBatches(storage, prune, { rowsPerBatch: 1.5 })).rejects.toThrow(
      RangeError,
    );
    await expect(deleteInBatches(storage, prune, { maxBatches: 0 })).rejects.toThrow(RangeError);
  });
});

describe('the housekeeping prune of a large table', () => {
  it('lets a write issued while it runs commit long before it ends', async () => {
    // More than three of the prune's 1,000-row batches.
    await addOldActivity(3_500);
    const clock = testClock();
    let pruneDone = false;
    const pruning = pruneActivity({ db: storage, clock }).then((count) => {
      pruneDone = true;
      return count;
    });
    // Wait until the first batch has committed, then write.
    while (committedActivityRows() === 3_500) await new Promise((r) => setImmediate(r));
    const recent = { ...oldEvent, at: clock.nowMs() };
    await storage.transaction((tx) => tx.activity.record(recent));
    const leftWhenWritten = committedActivityRows();
    expect(pruneDone).toBe(false);
    expect(leftWhenWritten).toBeGreaterThan(1);
    expect(await pruning).toBe(3_500);
    // Only the recent event is kept.
    expect(committedActivityRows()).toBe(1);
  });
});
