import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { type Kysely, sql } from 'kysely';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSqlite } from '../src/platform/database/open-sqlite.ts';
import { createUnitOfWork } from '../src/platform/database/unit-of-work.ts';

interface NotesTables {
  notes: { id: number; text: string };
}

const rows = 300;
const text = 'x'.repeat(2000);

async function eventually(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the write-ahead log is checkpointed by a worker thread, not in COMMIT', () => {
  let dir: string;
  let path: string;
  let kysely: Kysely<NotesTables>;

  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'writ-checkpoint-'));
    path = join(dir, 'notes.db');
  });

  afterEach(async () => {
    await kysely.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it('copies committed pages into the database file while the service’s connection goes on committing', async () => {
    kysely = openSqlite<NotesTables>(path, { walCheckpointEveryCommits: 4 });
    await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`.execute(kysely);
    const db = createUnitOfWork(kysely, (executor) => ({
      add: (id: number) => executor.insertInto('notes').values({ id, text }).execute(),
    }));
    const emptySize = statSync(path).size;
    for (let id = 1; id <= rows; id++) await db.transaction((tx) => tx.add(id));
    // SQLite's own checkpoint in COMMIT waits for 10,000 pages now, far beyond these ~300: only
    // the worker can have copied the rows into the database file while the connection is open.
    await eventually(() => statSync(path).size >= (rows * text.length) / 2, 'the rows were copied');
    expect(statSync(path).size).toBeGreaterThan(emptySize);
    const { wal_autocheckpoint: backstop } = (
      await sql<{
        wal_autocheckpoint: number;
      }>`PRAGMA wal_autocheckpoint`.execute(kysely)
    ).rows[0] ?? { wal_autocheckpoint: 0 };
    expect(backstop).toBe(10_000);

    // Another connection (another process) sees every committed row, and so does a reopen.
    const observer = new DatabaseSync(path);
    expect(observer.prepare('SELECT count(*) AS n FROM notes').get()).toEqual({ n: rows });
    observer.close();
    await kysely.destroy();
    kysely = openSqlite<NotesTables>(path);
    const count = await kysely
      .selectFrom('notes')
      .select(sql<number>`count(*)`.as('n'))
      .executeTakeFirst();
    expect(count?.n).toBe(rows);
  });

  it('leaves the log to SQLite alone when nothing is committed often enough to ask', async () => {
    kysely = openSqlite<NotesTables>(path, { walCheckpointEveryCommits: 1_000_000 });
    await sql`CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT NOT NULL)`.execute(kysely);
    const db = createUnitOfWork(kysely, (executor) => ({
      add: (id: number) => executor.insertInto('notes').values({ id, text }).execute(),
    }));
    const emptySize = statSync(path).size;
    for (let id = 1; id <= rows; id++) await db.transaction((tx) => tx.add(id));
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The counterpart of the test above: no checkpoint ran, so the rows are in the log only.
    expect(statSync(path).size).toBe(emptySize);
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(rows * text.length);
  });
});
