import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testClock } from '../../../test/support/test-clock.ts';
import { openServiceDatabase, type ServiceDatabase } from '../src/app/open-service-database.ts';
import type { ServiceStores } from '../src/app/stores.ts';
import { pruneClientAssertions } from '../src/clients/prune-client-assertions.ts';
import { prunePhantomTokens } from '../src/oauth/prune-phantom-tokens.ts';
import type { UnitOfWork } from '../src/platform/database/unit-of-work.ts';
import {
  type CommittedRows,
  committedRows,
  countsWhilePruning,
  largestDrop,
} from './support/committed-rows.ts';

/**
 * The prunes of opaque access tokens and of client assertion jtis delete in bounded batches
 * (deleteInBatches: 1,000 rows a transaction), each committed on its own with a turn of the
 * event loop between them, so a request's write never waits for the whole backlog.
 */
const rowsPerBatch = 1_000;
const clock = testClock();
let dir: string;
let database: ServiceDatabase;
let db: UnitOfWork<ServiceStores>;
let committed: CommittedRows;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-prune-batches-'));
  const file = join(dir, 'writ.db');
  database = await openServiceDatabase(`sqlite:${file}`);
  db = database.db;
  committed = committedRows(file);
});
afterAll(async () => {
  committed.close();
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('prunePhantomTokens', () => {
  it('removes a backlog of several batches, one bounded committed batch per loop turn', async () => {
    const nowMs = clock.nowMs();
    await db.transaction(async (tx) => {
      for (let i = 0; i < 2_500; i++) {
        await tx.phantomTokens.insert({
          tokenHash: `expired-${i}`,
          accessToken: 'x',
          clientId: 'wc_test',
          createdAt: nowMs - 7_200_000,
          expiresAt: nowMs - 3_600_000,
        });
      }
      await tx.phantomTokens.insert({
        tokenHash: 'live',
        accessToken: 'x',
        clientId: 'wc_test',
        createdAt: nowMs,
        expiresAt: nowMs + 3_600_000,
      });
    });
    const { result, counts } = await countsWhilePruning(
      () => committed.count('oauth_phantom_tokens'),
      () => prunePhantomTokens({ db, clock }),
    );
    expect(result).toBe(2_500);
    expect(committed.count('oauth_phantom_tokens')).toBe(1);
    expect(largestDrop(counts)).toBeLessThanOrEqual(rowsPerBatch);
    // Seen between the batches: 2,501, then 1,501 and 501, then 1.
    expect(counts).toEqual(expect.arrayContaining([2_501, 1_501, 501, 1]));
  });
});

describe('client assertion jtis', () => {
  const clientId = 'wc_asserting';
  const record = (jti: string, expiresAtMs: number) =>
    db.transaction((tx) => tx.clients.recordAssertion(clientId, jti, expiresAtMs, clock.nowMs()));

  it('are recorded by one insert that deletes nothing, refused while live, reusable once expired', async () => {
    const nowMs = clock.nowMs();
    await db.transaction(async (tx) => {
      for (let i = 0; i < 2_500; i++) {
        await tx.clients.recordAssertion(clientId, `expired-${i}`, nowMs - 1_000, nowMs - 60_000);
      }
    });
    expect(committed.count('oauth_client_assertions')).toBe(2_500);
    // A token request writes its one row: the backlog of expired jtis is not its work.
    expect(await record('live', nowMs + 300_000)).toBe(true);
    expect(committed.count('oauth_client_assertions')).toBe(2_501);
    expect(await record('live', nowMs + 300_000)).toBe(false);
    // An expired jti not pruned yet counts as gone: its row is taken over, then refused again.
    expect(await record('expired-7', nowMs + 300_000)).toBe(true);
    expect(await record('expired-7', nowMs + 300_000)).toBe(false);
    expect(committed.count('oauth_client_assertions')).toBe(2_501);
  });

  it('go in housekeeping, one bounded committed batch per loop turn, the live ones kept', async () => {
    // 2,499 expired left by the test above; 'live' and 'expired-7' are live.
    const { result, counts } = await countsWhilePruning(
      () => committed.count('oauth_client_assertions'),
      () => pruneClientAssertions({ db, clock }),
    );
    expect(result).toBe(2_499);
    expect(committed.count('oauth_client_assertions')).toBe(2);
    expect(largestDrop(counts)).toBeLessThanOrEqual(rowsPerBatch);
    expect(counts).toEqual(expect.arrayContaining([2_501, 1_501, 501, 2]));
    expect(await record('live', clock.nowMs() + 300_000)).toBe(false);
    expect(await record('expired-7', clock.nowMs() + 300_000)).toBe(false);
    // Past their expiry they go too.
    clock.advance(301_000);
    try {
      expect(await pruneClientAssertions({ db, clock })).toBe(2);
    } finally {
      clock.reset();
    }
    expect(committed.count('oauth_client_assertions')).toBe(0);
  });
});
