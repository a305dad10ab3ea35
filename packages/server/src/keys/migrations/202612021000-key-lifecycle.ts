import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * The key lifecycle: which custody holds each key's private half, when a `next` key becomes
 * active and when a `retiring` one is retired; a version row rings poll to follow changes made by
 * other instances or the CLI; and the lease that lets one instance at a time run scheduled
 * rotation. Existing keys are `sealed` (the only custody there was) and keep working unchanged.
 * One column per ALTER: SQLite adds one at a time, PostgreSQL reads the same statements.
 */
export const keyLifecycleMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .alterTable('signing_keys')
      .addColumn('custody', 'text', (c) => c.notNull().defaultTo('sealed'))
      .execute();
    await db.schema.alterTable('signing_keys').addColumn('activates_at', 'bigint').execute();
    await db.schema.alterTable('signing_keys').addColumn('retires_at', 'bigint').execute();
    await db.schema.createIndex('signing_keys_state').on('signing_keys').column('state').execute();
    await db.schema
      .createTable('key_ring_version')
      .addColumn('id', 'integer', (c) => c.primaryKey())
      .addColumn('version', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createTable('key_rotation_lease')
      .addColumn('name', 'text', (c) => c.primaryKey())
      .addColumn('holder', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
  },
};
