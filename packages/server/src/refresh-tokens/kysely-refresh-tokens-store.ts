import type { Kysely } from 'kysely';
import type { RefreshTokensStore } from './refresh-tokens-store.ts';
import type { RefreshTokensTables } from './refresh-tokens-table.ts';

export function kyselyRefreshTokensStore(db: Kysely<RefreshTokensTables>): RefreshTokensStore {
  return {
    async insert(tokenHash, sessionId, nowMs) {
      await db
        .insertInto('refresh_tokens')
        .values({ token_hash: tokenHash, session_id: sessionId, created_at: nowMs, used_at: null })
        .execute();
    },

    async consume(tokenHash, nowMs) {
      // The conditional update is the compare-and-swap: only one caller can flip used_at from null.
      const rotated = await db
        .updateTable('refresh_tokens')
        .set({ used_at: nowMs })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .returning('session_id')
        .executeTakeFirst();
      if (rotated !== undefined) return { status: 'rotated', sessionId: rotated.session_id };
      const known = await db
        .selectFrom('refresh_tokens')
        .select('session_id')
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return known === undefined
        ? { status: 'unknown' }
        : { status: 'reused', sessionId: known.session_id };
    },

    async find(tokenHash) {
      const row = await db
        .selectFrom('refresh_tokens')
        .select(['session_id', 'used_at'])
        .where('token_hash', '=', tokenHash)
        .executeTakeFirst();
      return (
        row && {
          sessionId: row.session_id,
          usedAt: row.used_at === null ? null : Number(row.used_at),
        }
      );
    },

    async deleteOfSessions(sessionIds, limit) {
      if (sessionIds.length === 0) return 0;
      // DELETE has no LIMIT on PostgreSQL (nor on SQLite without a compile option): the bound is
      // a sub-select of keys, which both run.
      const result = await db
        .deleteFrom('refresh_tokens')
        .where('token_hash', 'in', (eb) =>
          eb
            .selectFrom('refresh_tokens')
            .select('token_hash')
            .where('session_id', 'in', sessionIds)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
