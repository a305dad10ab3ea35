import type { Kysely, Selectable } from 'kysely';
import type { AuthorizationCodeRecord } from './authorization-code-record.ts';
import type { AuthorizationCodesStore } from './authorization-codes-store.ts';
import type {
  AuthorizationCodesTable,
  AuthorizationCodesTables,
} from './authorization-codes-table.ts';

function toRecord(row: Selectable<AuthorizationCodesTable>): AuthorizationCodeRecord {
  return {
    codeHash: row.code_hash,
    clientId: row.client_id,
    userId: row.user_id,
    redirectUri: row.redirect_uri,
    codeChallenge: row.code_challenge,
    scope: row.scope,
    audience: row.audience,
    nonce: row.nonce,
    authTime: Number(row.auth_time),
    browserSessionId: row.browser_session_id,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
    redeemedAt: row.redeemed_at === null ? null : Number(row.redeemed_at),
    sessionId: row.session_id,
  };
}

export function kyselyAuthorizationCodesStore(
  db: Kysely<AuthorizationCodesTables>,
): AuthorizationCodesStore {
  return {
    async create(code) {
      await db
        .insertInto('authorization_codes')
        .values({
          code_hash: code.codeHash,
          client_id: code.clientId,
          user_id: code.userId,
          redirect_uri: code.redirectUri,
          code_challenge: code.codeChallenge,
          scope: code.scope,
          audience: code.audience,
          nonce: code.nonce,
          auth_time: code.authTime,
          browser_session_id: code.browserSessionId,
          created_at: code.createdAt,
          expires_at: code.expiresAt,
          redeemed_at: code.redeemedAt,
          session_id: code.sessionId,
        })
        .execute();
    },

    async find(codeHash) {
      const row = await db
        .selectFrom('authorization_codes')
        .selectAll()
        .where('code_hash', '=', codeHash)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async redeem(codeHash, nowMs) {
      const result = await db
        .updateTable('authorization_codes')
        .set({ redeemed_at: nowMs })
        .where('code_hash', '=', codeHash)
        .where('redeemed_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async recordSession(codeHash, sessionId) {
      await db
        .updateTable('authorization_codes')
        .set({ session_id: sessionId })
        .where('code_hash', '=', codeHash)
        .execute();
    },

    async pruneExpired(beforeMs, limit) {
      // A sub-select of keys bounds the delete (PostgreSQL's DELETE has no LIMIT).
      const result = await db
        .deleteFrom('authorization_codes')
        .where('code_hash', 'in', (qb) =>
          qb
            .selectFrom('authorization_codes')
            .select('code_hash')
            .where('expires_at', '<', beforeMs)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
