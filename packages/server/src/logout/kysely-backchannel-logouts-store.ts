import type { Kysely, Selectable } from 'kysely';
import { randomTokenId } from '../platform/crypto/random.ts';
import type { BackchannelLogoutRecord } from './backchannel-logout-record.ts';
import type { BackchannelLogoutsStore } from './backchannel-logouts-store.ts';
import type {
  BackchannelLogoutsTable,
  BackchannelLogoutsTables,
} from './backchannel-logouts-table.ts';

function recordOf(row: Selectable<BackchannelLogoutsTable>): BackchannelLogoutRecord {
  return {
    id: row.id,
    clientId: row.client_id,
    userId: row.user_id,
    browserSessionId: row.browser_session_id,
    createdAt: Number(row.created_at),
    attempts: Number(row.attempts),
    nextAttemptAt: Number(row.next_attempt_at),
    lastError: row.last_error,
    deadAt: row.dead_at === null ? null : Number(row.dead_at),
  };
}

export function kyselyBackchannelLogoutsStore(
  db: Kysely<BackchannelLogoutsTables>,
): BackchannelLogoutsStore {
  return {
    async enqueue(entries, nowMs) {
      if (entries.length === 0) return;
      await db
        .insertInto('backchannel_logouts')
        .values(
          entries.map((entry) => ({
            id: `bcl_${randomTokenId()}`,
            client_id: entry.clientId,
            user_id: entry.userId,
            browser_session_id: entry.browserSessionId,
            created_at: nowMs,
            attempts: 0,
            next_attempt_at: nowMs,
            last_error: null,
            dead_at: null,
          })),
        )
        .execute();
    },

    async anyDue(nowMs) {
      const row = await db
        .selectFrom('backchannel_logouts')
        .select('id')
        .where('dead_at', 'is', null)
        .where('next_attempt_at', '<=', nowMs)
        .limit(1)
        .executeTakeFirst();
      return row !== undefined;
    },

    async claimDue({ nowMs, limit, leaseUntilMs }) {
      // DELETE/UPDATE have no LIMIT on PostgreSQL: the bound is a sub-select of keys, and the
      // outer conditions repeat the due test so an entry another worker claimed in between is
      // left alone.
      const rows = await db
        .updateTable('backchannel_logouts')
        .set((eb) => ({
          attempts: eb('attempts', '+', 1),
          next_attempt_at: leaseUntilMs,
        }))
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('backchannel_logouts')
            .select('id')
            .where('dead_at', 'is', null)
            .where('next_attempt_at', '<=', nowMs)
            .orderBy('next_attempt_at')
            .limit(limit),
        )
        .where('dead_at', 'is', null)
        .where('next_attempt_at', '<=', nowMs)
        .returningAll()
        .execute();
      return rows.map(recordOf);
    },

    async remove(id) {
      await db.deleteFrom('backchannel_logouts').where('id', '=', id).execute();
    },

    async retryLater(id, nextAttemptAt, error) {
      await db
        .updateTable('backchannel_logouts')
        .set({ next_attempt_at: nextAttemptAt, last_error: error })
        .where('id', '=', id)
        .execute();
    },

    async markDead(id, nowMs, error) {
      await db
        .updateTable('backchannel_logouts')
        .set({ dead_at: nowMs, last_error: error })
        .where('id', '=', id)
        .execute();
    },

    async listDead(limit) {
      const rows = await db
        .selectFrom('backchannel_logouts')
        .selectAll()
        .where('dead_at', 'is not', null)
        .orderBy('dead_at', 'desc')
        .limit(limit)
        .execute();
      return rows.map(recordOf);
    },

    async revive(id, nowMs) {
      const result = await db
        .updateTable('backchannel_logouts')
        .set({ dead_at: null, attempts: 0, next_attempt_at: nowMs })
        .where('id', '=', id)
        .where('dead_at', 'is not', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) === 1;
    },

    async pruneDead(deadBeforeMs, limit) {
      const result = await db
        .deleteFrom('backchannel_logouts')
        .where('id', 'in', (eb) =>
          eb
            .selectFrom('backchannel_logouts')
            .select('id')
            .where('dead_at', '<', deadBeforeMs)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
