import type { Kysely } from 'kysely';
import type { ThrottlesStore } from './throttles-store.ts';
import type { ThrottlesTables } from './throttles-table.ts';

export function kyselyThrottlesStore(db: Kysely<ThrottlesTables>): ThrottlesStore {
  return {
    async find(key) {
      const row = await db
        .selectFrom('sign_in_throttles')
        .selectAll()
        .where('key', '=', key)
        .executeTakeFirst();
      return (
        row && {
          key: row.key,
          failures: Number(row.failures),
          blockedUntil: Number(row.blocked_until),
          updatedAt: Number(row.updated_at),
        }
      );
    },

    async save(throttle) {
      const values = {
        key: throttle.key,
        failures: throttle.failures,
        blocked_until: throttle.blockedUntil,
        updated_at: throttle.updatedAt,
      };
      // ON CONFLICT … DO UPDATE: the same upsert on SQLite and PostgreSQL.
      await db
        .insertInto('sign_in_throttles')
        .values(values)
        .onConflict((oc) => oc.column('key').doUpdateSet(values))
        .execute();
    },

    async delete(key) {
      await db.deleteFrom('sign_in_throttles').where('key', '=', key).execute();
    },

    async prune(beforeMs, nowMs, limit) {
      // A sub-select of keys bounds the delete (PostgreSQL's DELETE has no LIMIT).
      const result = await db
        .deleteFrom('sign_in_throttles')
        .where('key', 'in', (qb) =>
          qb
            .selectFrom('sign_in_throttles')
            .select('key')
            .where('updated_at', '<', beforeMs)
            .where('blocked_until', '<=', nowMs)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
