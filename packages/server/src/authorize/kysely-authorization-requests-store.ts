import type { Kysely, Selectable } from 'kysely';
import type {
  AuthorizationRequestsStore,
  HeldAuthorizationRequest,
} from './authorization-requests-store.ts';
import type {
  AuthorizationRequestsTable,
  AuthorizationRequestsTables,
} from './authorization-requests-table.ts';

function toRecord(row: Selectable<AuthorizationRequestsTable>): HeldAuthorizationRequest {
  return {
    handleHash: row.handle_hash,
    purpose: row.purpose,
    clientId: row.client_id,
    request: row.request,
    createdAt: Number(row.created_at),
    expiresAt: Number(row.expires_at),
  };
}

export function kyselyAuthorizationRequestsStore(
  db: Kysely<AuthorizationRequestsTables>,
): AuthorizationRequestsStore {
  return {
    async create(request) {
      await db
        .insertInto('authorization_requests')
        .values({
          handle_hash: request.handleHash,
          purpose: request.purpose,
          client_id: request.clientId,
          request: request.request,
          created_at: request.createdAt,
          expires_at: request.expiresAt,
          consumed_at: null,
        })
        .execute();
    },

    async findLive(handleHash, purpose, nowMs) {
      const row = await db
        .selectFrom('authorization_requests')
        .selectAll()
        .where('handle_hash', '=', handleHash)
        .where('purpose', '=', purpose)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', nowMs)
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async consume(handleHash, purpose, nowMs) {
      const row = await db
        .updateTable('authorization_requests')
        .set({ consumed_at: nowMs })
        .where('handle_hash', '=', handleHash)
        .where('purpose', '=', purpose)
        .where('consumed_at', 'is', null)
        .where('expires_at', '>', nowMs)
        .returningAll()
        .executeTakeFirst();
      return row && toRecord(row);
    },

    async pruneExpired(beforeMs, limit) {
      // A sub-select of keys bounds the delete (PostgreSQL's DELETE has no LIMIT).
      const result = await db
        .deleteFrom('authorization_requests')
        .where('handle_hash', 'in', (qb) =>
          qb
            .selectFrom('authorization_requests')
            .select('handle_hash')
            .where('expires_at', '<', beforeMs)
            .limit(limit),
        )
        .executeTakeFirst();
      return Number(result.numDeletedRows);
    },
  };
}
