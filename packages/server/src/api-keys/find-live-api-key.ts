import type { ApiKeyKind, ApiKeyRecord } from './api-key-record.ts';
import type { ApiKeysStores } from './api-keys-store.ts';

/** The key with that hash, while it is not revoked (open streams re-check with it). */
export function findLiveApiKey(
  db: ApiKeysStores,
  kind: ApiKeyKind,
  keyHash: string,
): Promise<ApiKeyRecord | undefined> {
  return db.apiKeys.findLiveByHash(kind, keyHash);
}
