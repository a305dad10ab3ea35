import type { Kysely } from 'kysely';
import type { PhantomTokensStore } from './phantom-tokens-store.ts';
import type { PhantomTokensTables } from './phantom-tokens-table.ts';

export function kyselyPhantomTokensStore(db: Kysely<PhantomTokensTables>): PhantomTokensStore {
  return {
    async insert(record) {
      await db
        .insertInto('oauth_phantom_tokens')
        .values({
          token_hash: record.tokenHash,
          access_token: record.accessToken,
          client_id: record.clientId,
          created_at: record.createdAt,
          expires_at: record.expiresAt,
        })
        .execute();
    },

    async findLive(tokenHash, nowMs) {
      const row = await db
        .selectFrom('oauth_phantom_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('expires_at', '>', nowMs)
        .executeTakeFirst();
      return (
        row && {
          tokenHash: row.token_hash,
          accessToken: row.access_token,
          clientId: row.client_id,
          createdAt: Number(row.created_at),
          expiresAt: Number(row.expires_at),
        }
      );
    },

    async pruneExpired(nowMs, limit) {
      // DELETE has no LIMIT on PostgreSQL: the bound is a sub-select of keys, which both run.
      const result = await db
        .deleteFrom('oauth_phantom_tokens')
        .where('token_hash', 'in', (eb) =>
          eb
            .selectFrom('oauth_phantom_tokens')
            .select('token_hash')
            .where('expires_at', '<', nowMs)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
