import type { Kysely } from 'kysely';
import { preparedQuery } from '../platform/database/prepared-query.ts';
import type { RefreshTokensStore } from './refresh-tokens-store.ts';
import type { RefreshTokensTables } from './refresh-tokens-table.ts';

// The statements every rotation runs, built once (platform/database/prepared-query.ts).
const insertToken = preparedQuery<
  RefreshTokensTables,
  { tokenHash: string; sessionId: string; nowMs: number },
  never
>((db, param) =>
  db.insertInto('refresh_tokens').values({
    token_hash: param('tokenHash'),
    session_id: param('sessionId'),
    created_at: param('nowMs'),
    used_at: null,
  }),
);

// The conditional update is the compare-and-swap: only one caller can flip used_at from null.
const spendToken = preparedQuery<
  RefreshTokensTables,
  { tokenHash: string; nowMs: number },
  { session_id: string }
>((db, param) =>
  db
    .updateTable('refresh_tokens')
    .set({ used_at: param('nowMs') })
    .where('token_hash', '=', param('tokenHash'))
    .where('used_at', 'is', null)
    .returning('session_id'),
);

// The rotation's read before it signs (sessions/refresh.ts), and introspection's and revocation's.
const findToken = preparedQuery<
  RefreshTokensTables,
  { tokenHash: string },
  { session_id: string; used_at: number | null }
>((db, param) =>
  db
    .selectFrom('refresh_tokens')
    .select(['session_id', 'used_at'])
    .where('token_hash', '=', param('tokenHash')),
);

export function kyselyRefreshTokensStore(db: Kysely<RefreshTokensTables>): RefreshTokensStore {
  return {
    async insert(tokenHash, sessionId, nowMs) {
      await insertToken.execute(db, { tokenHash, sessionId, nowMs });
    },

    async consume(tokenHash, nowMs) {
      const [rotated] = (await spendToken.execute(db, { tokenHash, nowMs })).rows;
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
      const [row] = (await findToken.execute(db, { tokenHash })).rows;
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
