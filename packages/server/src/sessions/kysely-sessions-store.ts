import type { ExpressionBuilder, Kysely, Selectable } from 'kysely';
import { preparedQuery } from '../platform/database/prepared-query.ts';
import type { SessionClientGrant, SessionRecord } from './session-record.ts';
import type { SessionsStore } from './sessions-store.ts';
import type { SessionsTable, SessionsTables } from './sessions-table.ts';

function toSession(row: Selectable<SessionsTable>): SessionRecord {
  return {
    id: row.id,
    userId: row.user_id,
    mode: row.mode,
    createdAt: Number(row.created_at),
    lastUsedAt: Number(row.last_used_at),
    idleExpiresAt: Number(row.idle_expires_at),
    absoluteExpiresAt: Number(row.absolute_expires_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
    ip: row.ip,
    userAgent: row.user_agent,
    ...(row.client_id === null ? {} : { client: toClientGrant(row, row.client_id) }),
  };
}

function toClientGrant(row: Selectable<SessionsTable>, clientId: string): SessionClientGrant {
  return {
    clientId,
    scope: row.scope ?? '',
    audience: row.audience ?? '',
    dpopJkt: row.dpop_jkt,
    authTimeMs: row.auth_time === null ? null : Number(row.auth_time),
    browserSessionId: row.browser_session_id,
  };
}

type TouchLiveParams = {
  id: string;
  mode: SessionsTable['mode'];
  nowMs: number;
  idleExpiresAt: number;
  clientId: string;
};

/**
 * Every refresh runs this conditional update, so it is built once (platform/database/
 * prepared-query.ts): built per call, it was the refresh path's largest query-building cost.
 * Two statements, since an OAuth session's also names the client: only the client holding the
 * family may extend it.
 */
const touchLiveSession = (withClient: boolean) =>
  preparedQuery<SessionsTables, TouchLiveParams, Selectable<SessionsTable>>((db, param) => {
    const idleExpiresAt = param('idleExpiresAt');
    const nowMs = param('nowMs');
    let update = db
      .updateTable('sessions')
      .set((eb) => ({
        last_used_at: nowMs,
        // CASE rather than min()/LEAST(): the same expression on SQLite and PostgreSQL. `val`
        // binds the value: a bare `else(x)` would be inlined into the SQL text.
        idle_expires_at: eb
          .case()
          .when('absolute_expires_at', '<', idleExpiresAt)
          .then(eb.ref('absolute_expires_at'))
          .else(eb.val(idleExpiresAt))
          .end(),
      }))
      .where('id', '=', param('id'))
      .where('mode', '=', param('mode'))
      .where('revoked_at', 'is', null)
      .where('idle_expires_at', '>', nowMs)
      .where('absolute_expires_at', '>', nowMs);
    if (withClient) update = update.where('client_id', '=', param('clientId'));
    return update.returningAll();
  });
const touchLiveFirstParty = touchLiveSession(false);
const touchLiveOfClient = touchLiveSession(true);

// The refresh's read before it signs (sessions/refresh.ts), and every other lookup by id.
const findSession = preparedQuery<SessionsTables, { id: string }, Selectable<SessionsTable>>(
  (db, param) => db.selectFrom('sessions').selectAll().where('id', '=', param('id')),
);

export function kyselySessionsStore(db: Kysely<SessionsTables>): SessionsStore {
  return {
    async create(session) {
      await db
        .insertInto('sessions')
        .values({
          id: session.id,
          user_id: session.userId,
          mode: session.mode,
          created_at: session.createdAt,
          last_used_at: session.lastUsedAt,
          idle_expires_at: session.idleExpiresAt,
          absolute_expires_at: session.absoluteExpiresAt,
          revoked_at: session.revokedAt,
          revoke_cause: null,
          ip: session.ip,
          user_agent: session.userAgent,
          client_id: session.client?.clientId ?? null,
          scope: session.client?.scope ?? null,
          audience: session.client?.audience ?? null,
          dpop_jkt: session.client?.dpopJkt ?? null,
          auth_time: session.client?.authTimeMs ?? null,
          browser_session_id: session.client?.browserSessionId ?? null,
        })
        .execute();
    },

    async find(id) {
      const [row] = (await findSession.execute(db, { id })).rows;
      return row && toSession(row);
    },

    async listLive(userId, nowMs) {
      const rows = await db
        .selectFrom('sessions')
        .selectAll()
        .where('user_id', '=', userId)
        .where('revoked_at', 'is', null)
        .where('idle_expires_at', '>', nowMs)
        .where('absolute_expires_at', '>', nowMs)
        .orderBy('created_at', 'desc')
        .execute();
      return rows.map(toSession);
    },

    async touch(id, nowMs, idleExpiresAt) {
      await db
        .updateTable('sessions')
        .set({ last_used_at: nowMs, idle_expires_at: idleExpiresAt })
        .where('id', '=', id)
        .execute();
    },

    async touchLive({ id, mode, nowMs, idleExpiresAt, clientId }) {
      const params = { id, mode, nowMs, idleExpiresAt, clientId: clientId ?? '' };
      const touched = clientId === undefined ? touchLiveFirstParty : touchLiveOfClient;
      const [row] = (await touched.execute(db, params)).rows;
      return row && toSession(row);
    },

    async revokeOwned({ userId, sessionIds, cause, nowMs, which }) {
      if (sessionIds.length === 0) return [];
      let update = db
        .updateTable('sessions')
        .set({ revoked_at: nowMs, revoke_cause: cause })
        .where('user_id', '=', userId)
        .where('id', 'in', sessionIds)
        .where('revoked_at', 'is', null);
      if (which === 'live') {
        update = update
          .where('idle_expires_at', '>', nowMs)
          .where('absolute_expires_at', '>', nowMs);
      }
      // UPDATE … RETURNING: SQLite (3.35+) and PostgreSQL both have it.
      const revoked = new Set((await update.returning('id').execute()).map((row) => row.id));
      return sessionIds.filter((id) => revoked.has(id));
    },

    async listUnrevokedOfClient(clientId, limit) {
      const rows = await db
        .selectFrom('sessions')
        .select(['id', 'user_id'])
        .where('client_id', '=', clientId)
        .where('revoked_at', 'is', null)
        .limit(limit)
        .execute();
      return rows.map((row) => ({ id: row.id, userId: row.user_id }));
    },

    async listEnded(endedBeforeMs, limit) {
      const rows = await db
        .selectFrom('sessions')
        .select('id')
        .where(endedBefore(endedBeforeMs))
        .limit(limit)
        .execute();
      return rows.map((row) => row.id);
    },

    async deleteEnded(ids, endedBeforeMs) {
      if (ids.length === 0) return 0;
      const result = await db
        .deleteFrom('sessions')
        .where('id', 'in', ids)
        .where(endedBefore(endedBeforeMs))
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}

/** A session ends at the first of its revocation, idle expiry and absolute expiry. */
function endedBefore(cutoffMs: number) {
  return (eb: ExpressionBuilder<SessionsTables, 'sessions'>) =>
    eb.or([
      eb('revoked_at', '<', cutoffMs),
      eb('idle_expires_at', '<', cutoffMs),
      eb('absolute_expires_at', '<', cutoffMs),
    ]);
}
