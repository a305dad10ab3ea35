import { pbkdf2 } from 'node:crypto';
import { mkdtempSync, rmSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DatabaseUnavailableError } from '../src/platform/database/errors.ts';
import { openSqlite } from '../src/platform/database/open-sqlite.ts';
import { createUnitOfWork } from '../src/platform/database/unit-of-work.ts';

interface NotesTables {
  notes: { id: number; text: string };
}

/** PRAGMA synchronous as the service's own connection runs it: 1 NORMAL, 2 FULL. */
async function synchronousLevel(db: Kysely<NotesTables>): Promise<number> {
  const { rows } = await sql<{ synchronous: number }>`PRAGMA synchronous`.execute(db);
  return Number(rows[0]?.synchronous);
}

describe('a transaction commits durably without holding the event loop for the disk', () => {
  let dir: string;
  let path: string;
  let kysely: Kysely<NotesTables>;
  let failures: DatabaseUnavailableError[];

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'writ-durable-commit-'));
    path = join(dir, 'notes.db');
    failures = [];
    kysely = openSqlite<NotesTables>(path, { onFailure: (error) => failures.push(error) });
    await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`.execute(kysely);
  });

  afterEach(async () => {
    await kysely.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lets the event loop run while the commit is made durable, and answers after it', async () => {
    const order: string[] = [];
    // Every threadpool thread busy for a while first, so the sync (a threadpool job) surely
    // finishes after the queued callback below. On a fast disk the sync could otherwise complete
    // before the loop's check phase, and the order would prove nothing either way.
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    const busy = Array.from(
      { length: threads },
      () =>
        new Promise<void>((done, fail) =>
          pbkdf2('x', 'y', 200_000, 32, 'sha256', (error) => (error ? fail(error) : done())),
        ),
    );
    const committed = kysely
      .transaction()
      .execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 1, text: 'a' }).execute();
        // Queued while the unit is still running: it can only run before the answer if the
        // commit gives the event loop back while the log is synced (FULL inside COMMIT cannot).
        setImmediate(() => order.push('event loop ran'));
      })
      .then(() => order.push('committed'));
    await committed;
    await Promise.all(busy);
    expect(order).toEqual(['event loop ran', 'committed']);
    // Answered means visible to another connection (another process).
    const observer = new DatabaseSync(path);
    expect(
      observer
        .prepare('SELECT id FROM notes')
        .all()
        .map((row) => row.id),
    ).toEqual([1]);
    observer.close();
  });

  it('runs transactions with NORMAL and everything outside them with FULL', async () => {
    expect(await synchronousLevel(kysely)).toBe(2);
    const inside = await kysely.transaction().execute((trx) => synchronousLevel(trx));
    expect(inside).toBe(1);
    expect(await synchronousLevel(kysely)).toBe(2);
    // Also after a transaction that rolled back.
    await expect(
      kysely.transaction().execute(async (trx) => {
        await trx.insertInto('notes').values({ id: 2, text: 'b' }).execute();
        throw new Error('abandoned');
      }),
    ).rejects.toThrow('abandoned');
    expect(await synchronousLevel(kysely)).toBe(2);
    // And after a group commit whose every unit failed (the group rolls back).
    const db = createUnitOfWork(kysely, (executor) => ({
      add: (id: number) => executor.insertInto('notes').values({ id, text: 'x' }).execute(),
    }));
    const refused = await Promise.allSettled(
      [3, 4].map((id) =>
        db.transaction(async (tx) => {
          await tx.add(id);
          throw new Error(`unit ${id} refused`);
        }),
      ),
    );
    expect(refused.map((outcome) => outcome.status)).toEqual(['rejected', 'rejected']);
    expect(await synchronousLevel(kysely)).toBe(2);
  });

  it('fails closed when a commit cannot be made durable: the unit is refused, and so is everything after', async () => {
    const db = createUnitOfWork(kysely, (executor) => ({
      add: (id: number) => executor.insertInto('notes').values({ id, text: 'x' }).execute(),
    }));
    await db.transaction((tx) => tx.add(1));
    // The log file vanishing from under the connection stands in for the disk failing: the
    // commit's frames cannot be shown to be on disk.
    unlinkSync(`${path}-wal`);
    const outcomes = await Promise.allSettled([
      db.transaction((tx) => tx.add(2)),
      db.transaction((tx) => tx.add(3)),
    ]);
    for (const outcome of outcomes) {
      expect(outcome.status).toBe('rejected');
      if (outcome.status === 'rejected') {
        expect((outcome.reason as { code?: string }).code).toBe('ERR_DATABASE_UNAVAILABLE');
      }
    }
    expect(failures).toHaveLength(1);
    // Every later operation is refused, in a transaction or not: nothing runs on a database
    // whose writes may not be on disk.
    await expect(db.transaction((tx) => tx.add(4))).rejects.toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
    });
    await expect(sql`SELECT 1`.execute(kysely)).rejects.toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
    });
    expect(failures).toHaveLength(1);
  });

  it('syncs nothing for a transaction that only read: it succeeds where a writing one fails closed', async () => {
    const db = createUnitOfWork(kysely, (executor) => ({
      add: (id: number) => executor.insertInto('notes').values({ id, text: 'x' }).execute(),
      count: async () =>
        (
          await executor
            .selectFrom('notes')
            .select(sql<number>`count(*)`.as('n'))
            .executeTakeFirst()
        )?.n,
    }));
    await db.transaction((tx) => tx.add(1));
    // As above, the log vanishing stands in for a disk that cannot sync: a read-only unit
    // never asks for a sync, so it is answered and nothing fails.
    unlinkSync(`${path}-wal`);
    expect(await db.transaction((tx) => tx.count())).toBe(1);
    expect(failures).toHaveLength(0);
    await expect(db.transaction((tx) => tx.add(2))).rejects.toMatchObject({
      code: 'ERR_DATABASE_UNAVAILABLE',
    });
    expect(failures).toHaveLength(1);
  });
});
