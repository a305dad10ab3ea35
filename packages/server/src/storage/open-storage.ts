import { KyselyStorage } from './kysely-storage.ts';
import { openSqlite } from './sqlite/open-sqlite.ts';
import type { Storage } from './storage.ts';

/** Opens the storage a database URL names and brings its schema up to date. */
export async function openStorage(databaseUrl: string): Promise<Storage> {
  if (!databaseUrl.startsWith('sqlite:')) {
    throw new Error('unsupported database URL: only sqlite:<path> is available in this version');
  }
  const storage = new KyselyStorage(openSqlite(databaseUrl.slice('sqlite:'.length)));
  await storage.migrate();
  return storage;
}
