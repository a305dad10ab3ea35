import type { Kysely, Selectable } from 'kysely';
import type { ApiKeyRecord } from './api-key-record.ts';
import type { ApiKeysStore } from './api-keys-store.ts';
import type { ApiKeysTable, ApiKeysTables } from './api-keys-table.ts';

function toApiKey(row: Selectable<ApiKeysTable>): ApiKeyRecord {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    keyHash: row.key_hash,
    createdAt: Number(row.created_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}

export function kyselyApiKeysStore(db: Kysely<ApiKeysTables>): ApiKeysStore {
  return {
    async create(key) {
      await db
        .insertInto('api_keys')
        .values({
          id: key.id,
          kind: key.kind,
          name: key.name,
          key_hash: key.keyHash,
          created_at: key.createdAt,
          revoked_at: key.revokedAt,
        })
        .execute();
    },

    async findLiveByHash(kind, keyHash) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('kind', '=', kind)
        .where('key_hash', '=', keyHash)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return row && toApiKey(row);
    },

    async revoke(kind, name, nowMs) {
      const result = await db
        .updateTable('api_keys')
        .set({ revoked_at: nowMs })
        .where('kind', '=', kind)
        .where('name', '=', name)
        .where('revoked_at', 'is', null)
        .executeTakeFirst();
      return Number(result.numUpdatedRows) > 0;
    },

    async listLive(kind) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('kind', '=', kind)
        .where('revoked_at', 'is', null)
        .orderBy('created_at', 'asc')
        .execute();
      return rows.map(toApiKey);
    },
  };
}
