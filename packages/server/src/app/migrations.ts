import type { Migration } from 'kysely/migration';
import { authorizationCodesMigration } from '../authorize/migrations/202612020030-authorization-codes.ts';
import { authorizationRequestsMigration } from '../authorize/migrations/202612020031-authorization-requests.ts';
import { oauthClientsMigration } from '../clients/migrations/202612020010-oauth-clients.ts';
import { keyLifecycleMigration } from '../keys/migrations/202612021000-key-lifecycle.ts';
import { backchannelLogoutsMigration } from '../logout/migrations/202612020100-backchannel-logouts.ts';
import { phantomTokensMigration } from '../oauth/migrations/202612020020-phantom-tokens.ts';
import { releasedMigrations } from '../platform/database/released/0001-initial.ts';
import { oauthSessionsMigration } from '../sessions/migrations/202612020015-oauth-sessions.ts';

/**
 * Every migration of the service, collected here and applied in name order. The released one
 * keeps its name (`0001_initial`). A module adds its next migrations as files of its own folder
 * (`<module>/migrations/<yyyymmddhhmm>-<what>.ts`, one migration each, Kysely schema builder only
 * so PostgreSQL runs the same file) and lists them here; names start with their date so two
 * modules never pick the same name and every new one sorts after `0001_initial`.
 */
export const serviceMigrations: Readonly<Record<string, Migration>> = {
  ...releasedMigrations,
  '202612020010-oauth-clients': oauthClientsMigration,
  '202612020015-oauth-sessions': oauthSessionsMigration,
  '202612020020-phantom-tokens': phantomTokensMigration,
  '202612020030-authorization-codes': authorizationCodesMigration,
  '202612020031-authorization-requests': authorizationRequestsMigration,
  '202612020100-backchannel-logouts': backchannelLogoutsMigration,
  '202612021000-key-lifecycle': keyLifecycleMigration,
};
