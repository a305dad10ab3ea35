import type { ApiKeyKind, ApiKeyRecord } from './api-key-record.ts';
import type { ApiKeysStores } from './api-keys-store.ts';

/** Live keys of a kind, oldest first: names and hashes, never the keys. */
export function listApiKeys(db: ApiKeysStores, kind: ApiKeyKind): Promise<ApiKeyRecord[]> {
  return db.apiKeys.listLive(kind);
}
