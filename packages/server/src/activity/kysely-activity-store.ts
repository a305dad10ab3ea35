import type { Kysely } from 'kysely';
import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStore } from './activity-store.ts';
import type { ActivityTables } from './activity-table.ts';

/** The one column of users this store reads: the id activity rows reference. */
interface UserIds {
  users: { id: string };
}

export function kyselyActivityStore(db: Kysely<ActivityTables & UserIds>): ActivityStore {
  return {
    async record(activity) {
      const row = await db
        .insertInto('activity')
        .values({
          user_id: activity.userId,
          session_id: activity.sessionId,
          type: activity.type,
          at: activity.at,
          ip: activity.ip,
          user_agent: activity.userAgent,
        })
        .returning('id')
        .executeTakeFirstOrThrow();
      return Number(row.id);
    },

    async recordIfUserExists(activity) {
      const row = await db
        .insertInto('activity')
        .columns(['user_id', 'session_id', 'type', 'at', 'ip', 'user_agent'])
        .expression((eb) =>
          eb
            .selectFrom('users')
            .select([
              'users.id',
              eb.val(activity.sessionId).as('session_id'),
              eb.val(activity.type).as('type'),
              eb.val(activity.at).as('at'),
              eb.val(activity.ip).as('ip'),
              eb.val(activity.userAgent).as('user_agent'),
            ])
            .where('users.id', '=', activity.userId),
        )
        .returning('id')
        .executeTakeFirst();
      return row === undefined ? undefined : Number(row.id);
    },

    async delete(id) {
      await db.deleteFrom('activity').where('id', '=', id).execute();
    },

    async list(userId, limit) {
      const rows = await db
        .selectFrom('activity')
        .selectAll()
        .where('user_id', '=', userId)
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map((row) => ({
        userId: row.user_id,
        sessionId: row.session_id,
        type: row.type as ActivityRecord['type'],
        at: Number(row.at),
        ip: row.ip,
        userAgent: row.user_agent,
      }));
    },

    async prune(beforeMs, limit) {
      // A sub-select of keys bounds the delete (PostgreSQL's DELETE has no LIMIT).
      const result = await db
        .deleteFrom('activity')
        .where('id', 'in', (qb) =>
          qb.selectFrom('activity').select('id').where('at', '<', beforeMs).limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
