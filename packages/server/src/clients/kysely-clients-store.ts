import type { JSONWebKeySet } from 'jose';
import { type CompiledQuery, type Kysely, type Selectable, sql } from 'kysely';
import type { GrantType } from './client-record.ts';
import type { ClientsStore, RegistrationTokensStore } from './clients-store.ts';
import type {
  ClientsTables,
  OAuthClientsTable,
  OAuthRegistrationTokensTable,
} from './clients-table.ts';
import type { RegistrationTokenRecord, StoredClient } from './stored-client.ts';

/** Lists are stored as JSON text; anything else in the column is a corrupted row, said loudly. */
function stringList(json: string): string[] {
  const parsed: unknown = JSON.parse(json);
  if (!Array.isArray(parsed) || !parsed.every((item) => typeof item === 'string')) {
    throw new TypeError('oauth_clients holds a list column that is not a JSON array of strings');
  }
  return parsed;
}

const optionalNumber = (value: number | null): number | null =>
  value === null ? null : Number(value);

function toStoredClient(row: Selectable<OAuthClientsTable>): StoredClient {
  return {
    record: {
      clientId: row.client_id,
      name: row.name,
      kind: row.kind,
      authMethod: row.auth_method,
      redirectUris: stringList(row.redirect_uris),
      grantTypes: stringList(row.grant_types) as GrantType[],
      scopes: stringList(row.scopes),
      audiences: stringList(row.audiences),
      accessTokenFormat: row.access_token_format,
      requireDpop: Number(row.require_dpop) === 1,
      backchannelLogoutUri: row.backchannel_logout_uri,
      postLogoutRedirectUris: stringList(row.post_logout_redirect_uris),
      createdAt: Number(row.created_at),
      disabledAt: optionalNumber(row.disabled_at),
    },
    secretHash: row.secret_hash,
    previousSecretHash: row.previous_secret_hash,
    previousSecretExpiresAt: optionalNumber(row.previous_secret_expires_at),
    jwks: row.jwks === null ? null : (JSON.parse(row.jwks) as JSONWebKeySet),
    registeredBy: row.registered_by,
    updatedAt: Number(row.updated_at),
  };
}

function toRegistrationToken(
  row: Selectable<OAuthRegistrationTokensTable>,
): RegistrationTokenRecord {
  return {
    tokenHash: row.token_hash,
    name: row.name,
    scopes: stringList(row.scopes),
    audiences: stringList(row.audiences),
    grantTypes: stringList(row.grant_types) as GrantType[],
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    usedAt: optionalNumber(row.used_at),
    clientId: row.client_id,
  };
}

/** Columns in one order for both halves of findForAuthentication's UNION ALL. */
const clientColumns = [
  'client_id',
  'name',
  'kind',
  'auth_method',
  'secret_hash',
  'previous_secret_hash',
  'previous_secret_expires_at',
  'jwks',
  'redirect_uris',
  'grant_types',
  'scopes',
  'audiences',
  'access_token_format',
  'require_dpop',
  'backchannel_logout_uri',
  'post_logout_redirect_uris',
  'registered_by',
  'created_at',
  'updated_at',
  'disabled_at',
] as const satisfies readonly (keyof OAuthClientsTable)[];

/**
 * The row an unknown id reads instead: an empty id (no client has one), and values shaped like a
 * typical client's so that building and parsing it costs what a real row does.
 */
const decoyRow: Selectable<OAuthClientsTable> = {
  client_id: '',
  name: 'decoy client',
  kind: 'confidential',
  auth_method: 'client_secret_basic',
  secret_hash: 'AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
  previous_secret_hash: null,
  previous_secret_expires_at: null,
  jwks: null,
  redirect_uris: '["https://decoy.invalid/callback"]',
  grant_types: '["authorization_code","refresh_token"]',
  scopes: '["openid","offline_access"]',
  audiences: '["https://decoy.invalid"]',
  access_token_format: 'jwt',
  require_dpop: 0,
  backchannel_logout_uri: null,
  post_logout_redirect_uris: '[]',
  registered_by: 'admin',
  created_at: 0,
  updated_at: 0,
  disabled_at: null,
};

export function kyselyClientsStore(db: Kysely<ClientsTables>): ClientsStore {
  /**
   * One statement, compiled once per store: the client's row, or — only when there is none —
   * the decoy row as literals. Its two parameters are the client id, twice. Compiling it once
   * keeps the unknown-id path and the known-id path equally cheap instead of equally slow.
   */
  let compiledAuthenticationQuery: CompiledQuery<Selectable<OAuthClientsTable>> | undefined;
  const authenticationQuery = () => {
    if (compiledAuthenticationQuery !== undefined) return compiledAuthenticationQuery;
    const registered = db
      .selectFrom('oauth_clients')
      .select(clientColumns)
      .where('client_id', '=', '');
    const decoy = db
      .selectNoFrom(() => clientColumns.map((column) => sql.lit(decoyRow[column]).as(column)))
      .where((eb) =>
        eb.not(
          eb.exists(db.selectFrom('oauth_clients').select('client_id').where('client_id', '=', '')),
        ),
      );
    // The decoy's columns are the same, in the same order; mapping over the list only loses
    // their individual types, so the cast states what the two halves already share.
    const compiled = registered.unionAll(decoy as unknown as typeof registered).compile();
    if (compiled.parameters.length !== 2) {
      throw new Error('findForAuthentication: expected the client id as its only two parameters');
    }
    compiledAuthenticationQuery = compiled;
    return compiled;
  };

  return {
    async create(client) {
      const { record } = client;
      await db
        .insertInto('oauth_clients')
        .values({
          client_id: record.clientId,
          name: record.name,
          kind: record.kind,
          auth_method: record.authMethod,
          secret_hash: client.secretHash,
          previous_secret_hash: client.previousSecretHash,
          previous_secret_expires_at: client.previousSecretExpiresAt,
          jwks: client.jwks === null ? null : JSON.stringify(client.jwks),
          redirect_uris: JSON.stringify(record.redirectUris),
          grant_types: JSON.stringify(record.grantTypes),
          scopes: JSON.stringify(record.scopes),
          audiences: JSON.stringify(record.audiences),
          access_token_format: record.accessTokenFormat,
          require_dpop: record.requireDpop ? 1 : 0,
          backchannel_logout_uri: record.backchannelLogoutUri,
          post_logout_redirect_uris: JSON.stringify(record.postLogoutRedirectUris),
          registered_by: client.registeredBy,
          created_at: record.createdAt,
          updated_at: client.updatedAt,
          disabled_at: record.disabledAt,
        })
        .execute();
    },

    async findById(clientId) {
      const row = await db
        .selectFrom('oauth_clients')
        .selectAll()
        .where('client_id', '=', clientId)
        .executeTakeFirst();
      return row && toStoredClient(row);
    },

    async findForAuthentication(clientId) {
      const row = (
        await db.executeQuery<Selectable<OAuthClientsTable>>({
          ...authenticationQuery(),
          parameters: [clientId, clientId],
        })
      ).rows[0];
      const stored = row && toStoredClient(row);
      return stored?.record.clientId === '' ? undefined : stored;
    },

    async list() {
      const rows = await db
        .selectFrom('oauth_clients')
        .selectAll()
        .orderBy('created_at', 'asc')
        .orderBy('client_id', 'asc')
        .execute();
      return rows.map((row) => toStoredClient(row).record);
    },

    async disable(clientId, nowMs) {
      const result = await db
        .updateTable('oauth_clients')
        .set({ disabled_at: nowMs, updated_at: nowMs })
        .where('client_id', '=', clientId)
        .where('disabled_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async replaceSecret(clientId, secretHash, previousSecretExpiresAt, nowMs) {
      const result = await db
        .updateTable('oauth_clients')
        .set((eb) => ({
          secret_hash: secretHash,
          previous_secret_hash: previousSecretExpiresAt === null ? null : eb.ref('secret_hash'),
          previous_secret_expires_at: previousSecretExpiresAt,
          updated_at: nowMs,
        }))
        .where('client_id', '=', clientId)
        .where('disabled_at', 'is', null)
        .where('secret_hash', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async replaceJwks(clientId, jwks, nowMs) {
      const result = await db
        .updateTable('oauth_clients')
        .set({ jwks: JSON.stringify(jwks), updated_at: nowMs })
        .where('client_id', '=', clientId)
        .where('disabled_at', 'is', null)
        .where('auth_method', '=', 'private_key_jwt')
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async recordAssertion(clientId, jti, expiresAtMs, nowMs) {
      // A row of this jti that expired but was not pruned yet is taken over, as if it had gone:
      // only a live one makes this a replay (nothing inserted, nothing updated).
      const result = await db
        .insertInto('oauth_client_assertions')
        .values({ client_id: clientId, jti, expires_at: expiresAtMs })
        .onConflict((oc) =>
          oc
            .columns(['client_id', 'jti'])
            .doUpdateSet({ expires_at: (eb) => eb.ref('excluded.expires_at') })
            .where('oauth_client_assertions.expires_at', '<=', nowMs),
        )
        .executeTakeFirst();
      return Number(result.numInsertedOrUpdatedRows ?? 0) === 1;
    },

    async pruneExpiredAssertions(nowMs, limit) {
      // DELETE has no LIMIT on PostgreSQL: the bound is a sub-select of keys, which both run.
      const result = await db
        .deleteFrom('oauth_client_assertions')
        .where((eb) =>
          eb(
            eb.refTuple('client_id', 'jti'),
            'in',
            eb
              .selectFrom('oauth_client_assertions')
              .select(['client_id', 'jti'])
              .where('expires_at', '<=', nowMs)
              .limit(limit)
              .$asTuple('client_id', 'jti'),
          ),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

export function kyselyRegistrationTokensStore(db: Kysely<ClientsTables>): RegistrationTokensStore {
  return {
    async create(token) {
      await db
        .insertInto('oauth_registration_tokens')
        .values({
          token_hash: token.tokenHash,
          name: token.name,
          scopes: JSON.stringify(token.scopes),
          audiences: JSON.stringify(token.audiences),
          grant_types: JSON.stringify(token.grantTypes),
          created_at: token.createdAt,
          expires_at: token.expiresAt,
          used_at: token.usedAt,
          client_id: token.clientId,
        })
        .execute();
    },

    async consume(tokenHash, clientId, nowMs) {
      const row = await db
        .updateTable('oauth_registration_tokens')
        .set({ used_at: nowMs, client_id: clientId })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', nowMs)
        .returningAll()
        .executeTakeFirst();
      return row && toRegistrationToken(row);
    },

    async findUsable(tokenHash, nowMs) {
      const row = await db
        .selectFrom('oauth_registration_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', nowMs)
        .executeTakeFirst();
      return row && toRegistrationToken(row);
    },
  };
}
