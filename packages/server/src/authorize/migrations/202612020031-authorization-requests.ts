import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Pushed (RFC 9126) and pending sign-in authorization requests (authorize/). */
export const authorizationRequestsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('authorization_requests')
      .addColumn('handle_hash', 'text', (c) => c.primaryKey())
      .addColumn('purpose', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('request', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('consumed_at', 'bigint')
      .execute();
    await db.schema
      .createIndex('authorization_requests_expires')
      .on('authorization_requests')
      .column('expires_at')
      .execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable('authorization_requests').execute();
  },
};
