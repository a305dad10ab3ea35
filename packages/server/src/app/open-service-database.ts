import type { Kysely } from 'kysely';
import { migrateToLatest } from '../platform/database/migrate.ts';
import { openDatabase } from '../platform/database/open-database.ts';
import { createUnitOfWork, type UnitOfWork } from '../platform/database/unit-of-work.ts';
import { serviceMigrations } from './migrations.ts';
import { bindStores, type ServiceStores } from './stores.ts';
import type { ServiceTables } from './tables.ts';

export interface ServiceDatabase {
  readonly db: UnitOfWork<ServiceStores>;
  close(): Promise<void>;
}

/** Opens the database a URL names, brings its schema up to date, and binds every store. */
export async function openServiceDatabase(databaseUrl: string): Promise<ServiceDatabase> {
  const kysely = openDatabase<ServiceTables>(databaseUrl);
  try {
    await migrateToLatest(kysely as unknown as Kysely<unknown>, serviceMigrations);
  } catch (error) {
    await kysely.destroy();
    throw error;
  }
  return {
    db: createUnitOfWork(kysely, bindStores),
    close: () => kysely.destroy(),
  };
}
