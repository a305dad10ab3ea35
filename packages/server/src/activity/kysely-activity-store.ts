import type { Kysely } from 'kysely';
import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStore } from './activity-store.ts';
import type { ActivityTables } from './activity-table.ts';

export function kyselyActivityStore(db: Kysely<ActivityTables>): ActivityStore {
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

    async prune(beforeMs) {
      const result = await db.deleteFrom('activity').where('at', '<', beforeMs).executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
