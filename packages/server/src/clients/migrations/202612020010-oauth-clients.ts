import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * OAuth clients, the `jti`s of client assertions already accepted (RFC 7523 replay defence, kept
 * until the assertion's `exp`), and the single-use initial access tokens of dynamic registration
 * (RFC 7591). Lists are JSON text and booleans 0/1 integers, which SQLite and PostgreSQL read
 * alike; times are integer milliseconds (`bigint`).
 */
export const oauthClientsMigration: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable('oauth_clients')
      .addColumn('client_id', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('kind', 'text', (c) => c.notNull())
      .addColumn('auth_method', 'text', (c) => c.notNull())
      // SHA-256 of a 256-bit generated secret; null for private_key_jwt and public clients.
      .addColumn('secret_hash', 'text')
      // The secret a rotation replaced, accepted until its expiry (a rotation's grace period).
      .addColumn('previous_secret_hash', 'text')
      .addColumn('previous_secret_expires_at', 'bigint')
      // The client's public JWKS (private_key_jwt only).
      .addColumn('jwks', 'text')
      .addColumn('redirect_uris', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('audiences', 'text', (c) => c.notNull())
      .addColumn('access_token_format', 'text', (c) => c.notNull())
      .addColumn('require_dpop', 'integer', (c) => c.notNull())
      .addColumn('backchannel_logout_uri', 'text')
      .addColumn('post_logout_redirect_uris', 'text', (c) => c.notNull())
      .addColumn('registered_by', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('updated_at', 'bigint', (c) => c.notNull())
      .addColumn('disabled_at', 'bigint')
      .execute();
    await db.schema
      .createTable('oauth_client_assertions')
      .addColumn('client_id', 'text', (c) => c.notNull())
      .addColumn('jti', 'text', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addPrimaryKeyConstraint('oauth_client_assertions_pk', ['client_id', 'jti'])
      .execute();
    await db.schema
      .createIndex('oauth_client_assertions_expires_at')
      .on('oauth_client_assertions')
      .column('expires_at')
      .execute();
    await db.schema
      .createTable('oauth_registration_tokens')
      .addColumn('token_hash', 'text', (c) => c.primaryKey())
      .addColumn('name', 'text', (c) => c.notNull())
      .addColumn('scopes', 'text', (c) => c.notNull())
      .addColumn('audiences', 'text', (c) => c.notNull())
      .addColumn('grant_types', 'text', (c) => c.notNull())
      .addColumn('created_at', 'bigint', (c) => c.notNull())
      .addColumn('expires_at', 'bigint', (c) => c.notNull())
      .addColumn('used_at', 'bigint')
      .addColumn('client_id', 'text')
      .execute();
  },
};
