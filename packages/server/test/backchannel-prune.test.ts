import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { startBackchannelWorker } from '../src/logout/backchannel-worker.ts';
import { createLocalNotifier } from '../src/revocation/revocation-notifier.ts';
import { type CommittedRows, committedRows, largestDrop } from './support/committed-rows.ts';

/**
 * The back-channel logout worker forgets entries dead for more than 7 days in bounded work: at
 * most 500 rows a transaction and 50 transactions a pass (one pass a minute), each committed on
 * its own with a turn of the event loop between them.
 */
const rowsPerBatch = 500;
const rowsPerPass = 50 * rowsPerBatch;
const deadRows = rowsPerPass + 300;

let service: TestService;
let file: string;
let committed: CommittedRows;

beforeAll(async () => {
  service = await startTestService();
  // The service's own worker prunes at start (then once a minute): a unit queued after its
  // first batch settles once that pass is over, so only the workers below prune what is added.
  await service.context.db.transaction(async () => undefined);
  file = join(service.dataDir, 'writ.db');
  committed = committedRows(file);
});
afterAll(async () => {
  committed.close();
  await service.destroy();
});

/** Another process's write: `count` entries dead since `deadAt`. */
function addEntries(count: number, deadAt: number): void {
  const writer = new DatabaseSync(file);
  try {
    writer.exec('PRAGMA busy_timeout = 5000');
    writer
      .prepare(
        `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
         INSERT INTO backchannel_logouts
           (id, client_id, user_id, browser_session_id, created_at, attempts, next_attempt_at,
            last_error, dead_at)
         SELECT 'bcl_dead_' || i, 'wc_gone', 'usr_gone', NULL, ?, 6, ?, 'http_500', ? FROM n`,
      )
      .run(count, deadAt, deadAt, deadAt);
  } finally {
    writer.close();
  }
}

/**
 * Starts a worker of its own on the service's database (its first look prunes), reads the
 * committed count every loop turn until it has stayed at `until` for a while, and stops it.
 */
async function onePass(until: number): Promise<readonly number[]> {
  const counts = [committed.count('backchannel_logouts')];
  const errors: unknown[] = [];
  const worker = startBackchannelWorker(
    { ...service.context, notifier: createLocalNotifier() },
    { onError: (error) => errors.push(error) },
  );
  try {
    const deadline = Date.now() + 10_000;
    let turnsAtEnd = 0;
    while (turnsAtEnd < 50 && Date.now() < deadline) {
      await new Promise((resolve) => setImmediate(resolve));
      const count = committed.count('backchannel_logouts');
      counts.push(count);
      turnsAtEnd = count === until ? turnsAtEnd + 1 : 0;
    }
  } finally {
    await worker.close();
  }
  expect(errors).toEqual([]);
  return counts;
}

describe('pruning dead back-channel logout entries', () => {
  it('goes in batches of 500 and at most 50 of them a pass', async () => {
    const nowMs = service.clock.nowMs();
    addEntries(deadRows, nowMs - 8 * 24 * 3600_000);
    expect(committed.count('backchannel_logouts')).toBe(deadRows);

    const first = await onePass(deadRows - rowsPerPass);
    expect(committed.count('backchannel_logouts')).toBe(deadRows - rowsPerPass);
    expect(largestDrop(first)).toBeLessThanOrEqual(rowsPerBatch);
    expect(first).toEqual(
      expect.arrayContaining([deadRows - rowsPerBatch, deadRows - 2 * rowsPerBatch]),
    );

    // The next pass takes the rest.
    const second = await onePass(0);
    expect(committed.count('backchannel_logouts')).toBe(0);
    expect(largestDrop(second)).toBeLessThanOrEqual(rowsPerBatch);
  });
});
