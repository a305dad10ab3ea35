import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/** The Back-Channel Logout outbox (logout/backchannel-logouts-table.ts). */
export const backchannelLogoutsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('backchannel_logouts')
      .addColumn('id', 'text', (c) => c.primaryKey())
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('user_id', 'text', (c) => c.notNull())
      .addColumn('browser_session_id', 'text')
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('attempts', 'integer', (c) => c.notNull())
      .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
      .addColumn('last_error', 'text')
      .addColumn('dead_at', 'bigint')
      .execute();
    // The worker's one question: which live entries are due, oldest first.
    await db.schema
      .createIndex('backchannel_logouts_due')
      .on('backchannel_logouts')
      .columns(['dead_at', 'next_attempt_at'])
      .execute();
  },
};
