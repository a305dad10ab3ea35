import type { Kysely } from 'kysely';
import { preparedQuery } from '../platform/database/prepared-query.ts';
import type { ActivityRecord } from './activity-record.ts';
import type { ActivityStore } from './activity-store.ts';
import type { ActivityTables } from './activity-table.ts';

/** The one column of users this store reads: the id activity rows reference. */
interface UserIds {
  users: { id: string };
}

type Tables = ActivityTables & UserIds;
type ActivityParams = { [Key in keyof ActivityRecord]: ActivityRecord[Key] };

// Both inserts run once per event (every refresh queues one), so they are built once
// (platform/database/prepared-query.ts); built per call they were 2-3% of the refresh path.
const insertActivity = preparedQuery<Tables, ActivityParams, { id: number }>((db, param) =>
  db
    .insertInto('activity')
    .values({
      user_id: param('userId'),
      session_id: param('sessionId'),
      type: param('type'),
      at: param('at'),
      ip: param('ip'),
      user_agent: param('userAgent'),
    })
    .returning('id'),
);

// One statement whatever the user id: the same SQL, the same lookup, for a real and an unknown
// account (sign-in's timing must not tell them apart); only a real one's row is inserted.
const insertActivityIfUserExists = preparedQuery<Tables, ActivityParams, { id: number }>(
  (db, param) =>
    db
      .insertInto('activity')
      .columns(['user_id', 'session_id', 'type', 'at', 'ip', 'user_agent'])
      .expression((eb) =>
        eb
          .selectFrom('users')
          .select([
            'users.id',
            eb.val(param('sessionId')).as('session_id'),
            eb.val(param('type')).as('type'),
            eb.val(param('at')).as('at'),
            eb.val(param('ip')).as('ip'),
            eb.val(param('userAgent')).as('user_agent'),
          ])
          .where('users.id', '=', param('userId')),
      )
      .returning('id'),
);

export function kyselyActivityStore(db: Kysely<Tables>): ActivityStore {
  return {
    async record(activity) {
      const [row] = (await insertActivity.execute(db, activity)).rows;
      if (row === undefined) throw new Error('the activity insert returned no id');
      return Number(row.id);
    },

    async recordIfUserExists(activity) {
      const [row] = (await insertActivityIfUserExists.execute(db, activity)).rows;
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
