import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** Opaque (phantom) access tokens: SHA-256 of the token → the at+jwt it stands for. */
export const phantomTokensMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oauth_phantom_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('access_token', 'text', (c) => c.notNull())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .execute();
    await db.schema
      .createIndex('oauth_phantom_tokens_expiry')
      .on('oauth_phantom_tokens')
      .column('expires_at')
      .execute();
  },
};
