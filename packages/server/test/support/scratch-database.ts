import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { Kysely, RawBuilder } from 'kysely';
import { openSqlite } from '../../src/platform/database/open-sqlite.ts';
import { createUnitOfWork, type UnitOfWork } from '../../src/platform/database/unit-of-work.ts';

/**
 * A SQLite file of a test's own, in a fresh temporary folder: the service's connection to it
 * (`kysely`), the unit of work over that, and a second connection (`observer`) that sees only
 * what has committed, as another process (or the file after a crash) would.
 */
export interface ScratchDatabase<Tables, Stores> {
  readonly path: string;
  readonly kysely: Kysely<Tables>;
  readonly db: UnitOfWork<Stores>;
  readonly observer: DatabaseSync;
  /** Closes both connections and deletes the folder. */
  close(): Promise<void>;
}

/** Opens `<tmp>/<prefix>…/notes.db`, runs `schema` on it, and binds `bindStores`. */
export async function openScratchDatabase<Tables, Stores extends object>(
  prefix: string,
  schema: RawBuilder<unknown>,
  bindStores: (db: Kysely<Tables>) => Stores,
): Promise<ScratchDatabase<Tables, Stores>> {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const path = join(dir, 'notes.db');
  const kysely = openSqlite<Tables>(path);
  await schema.execute(kysely);
  const db = createUnitOfWork(kysely, bindStores);
  const observer = new DatabaseSync(path);
  return {
    path,
    kysely,
    db,
    observer,
    async close() {
      observer.close();
      await kysely.destroy();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
