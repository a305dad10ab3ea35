import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/platform/database/open-sqlite.ts';
import { preparedQuery } from '../src/platform/database/prepared-query.ts';
import { createUnitOfWork } from '../src/platform/database/unit-of-work.ts';

interface NotesTables {
  notes: { id: number; text: string; seen_at: number | null };
}

const addNote = preparedQuery<NotesTables, { id: number; text: string }, never>((db, param) =>
  db.insertInto('notes').values({ id: param('id'), text: param('text'), seen_at: null }),
);

const markSeen = preparedQuery<NotesTables, { id: number; at: number }, { text: string }>(
  (db, param) =>
    db
      .updateTable('notes')
      .set({ seen_at: param('at') })
      .where('id', '=', param('id'))
      .where('seen_at', 'is', null)
      .returning('text'),
);

describe('a prepared query (built and compiled once, run with new values)', () => {
  let dir: string;
  let kysely: Kysely<NotesTables>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'writ-prepared-'));
    kysely = openSqlite<NotesTables>(join(dir, 'notes.db'));
    await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL, seen_at INTEGER)`.execute(
      kysely,
    );
  });

  afterEach(async () => {
    await kysely.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('binds each execution’s own values, never the ones it was built or first run with', async () => {
    await addNote.execute(kysely, { id: 1, text: 'first' });
    await addNote.execute(kysely, { id: 2, text: 'second' });
    expect(await kysely.selectFrom('notes').selectAll().orderBy('id').execute()).toEqual([
      { id: 1, text: 'first', seen_at: null },
      { id: 2, text: 'second', seen_at: null },
    ]);
    expect((await markSeen.execute(kysely, { id: 2, at: 50 })).rows).toEqual([{ text: 'second' }]);
    // The compare-and-swap holds: a second spend finds nothing to update.
    expect((await markSeen.execute(kysely, { id: 2, at: 60 })).rows).toEqual([]);
    expect((await markSeen.execute(kysely, { id: 1, at: 70 })).rows).toEqual([{ text: 'first' }]);
    expect(
      (await kysely.selectFrom('notes').select(['id', 'seen_at']).orderBy('id').execute()).map(
        (row) => [row.id, row.seen_at],
      ),
    ).toEqual([
      [1, 70],
      [2, 50],
    ]);
  });

  it('runs inside a unit of work’s transaction, and rolls back with it', async () => {
    const db = createUnitOfWork(kysely, (executor) => ({
      notes: { add: (id: number) => addNote.execute(executor, { id, text: `note ${id}` }) },
    }));
    await db.transaction(async (tx) => {
      await tx.notes.add(10);
    });
    await expect(
      db.transaction(async (tx) => {
        await tx.notes.add(11);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    const ids = (await kysely.selectFrom('notes').select('id').execute()).map((row) => row.id);
    expect(ids).toEqual([10]);
  });

  it('takes a caller’s value that looks like SQL as a value', async () => {
    const text = "x'); DROP TABLE notes; --";
    await addNote.execute(kysely, { id: 3, text });
    expect((await markSeen.execute(kysely, { id: 3, at: 1 })).rows).toEqual([{ text }]);
  });

  it('refuses a parameter that would not be bound (inlined into the SQL text)', async () => {
    const inlined = preparedQuery<NotesTables, { text: string }, never>((db, param) =>
      db.insertInto('notes').values({ id: 9, text: sql.lit(param('text')), seen_at: null }),
    );
    await expect(inlined.execute(kysely, { text: 'x' })).rejects.toThrow(/did not become a bound/);
  });
});
