import { chmodSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { Kysely } from 'kysely';
import { type DurableCommitOptions, NodeSqliteDialect } from './node-sqlite-dialect.ts';

/**
 * Opens (creating if needed) the embedded database. WAL lets readers run beside the writer;
 * `synchronous = FULL` makes every committed transaction survive a crash or power loss — a
 * transaction's commit syncs the log on the threadpool instead of the event loop, see
 * `NodeSqliteDialect`.
 */
export function openSqlite<Tables>(
  path: string,
  options: DurableCommitOptions = {},
): Kysely<Tables> {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const database = new DatabaseSync(path);
  // The file holds password hashes and sealed keys: owner only.
  if (path !== ':memory:') chmodSync(path, 0o600);
  database.exec(`
    PRAGMA journal_mode = WAL;
    PRAGMA synchronous = FULL;
    PRAGMA foreign_keys = ON;
    PRAGMA busy_timeout = 5000;
  `);
  return new Kysely<Tables>({ dialect: new NodeSqliteDialect({ database, path }, options) });
}
