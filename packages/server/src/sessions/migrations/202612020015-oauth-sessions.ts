import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Sessions opened for OAuth clients (mode `oauth`): which client holds the refresh-token family,
 * the scope and audience it was granted, the DPoP key its refresh tokens are bound to (public
 * clients), when the user authenticated, and the browser (SSO) session it came from. All
 * nullable: first-party sessions have none of them. One column per statement, as SQLite's
 * ALTER TABLE adds one at a time.
 */
export const oauthSessionsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema.alterTable('sessions').addColumn('client_id', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('scope', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('audience', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('dpop_jkt', 'text').execute();
    await db.schema.alterTable('sessions').addColumn('auth_time', 'bigint').execute();
    await db.schema.alterTable('sessions').addColumn('browser_session_id', 'text').execute();
    // The sign-in page's logout (wave 2) ends every client session of one browser session.
    await db.schema
      .createIndex('sessions_browser_session')
      .on('sessions')
      .column('browser_session_id')
      .execute();
  },
};
