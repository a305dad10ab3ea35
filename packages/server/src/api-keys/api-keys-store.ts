import type { ApiKeyKind, ApiKeyRecord } from './api-key-record.ts';

export interface ApiKeysStore {
  create(key: ApiKeyRecord): Promise<void>;
  /** The key of that kind and hash, unless revoked. */
  findLiveByHash(kind: ApiKeyKind, keyHash: string): Promise<ApiKeyRecord | undefined>;
  /** Revokes every live key of that kind and name; false if there was none. */
  revoke(kind: ApiKeyKind, name: string, nowMs: number): Promise<boolean>;
  /** Keys of a kind that are not revoked, oldest first (hashes included; never the keys). */
  listLive(kind: ApiKeyKind): Promise<ApiKeyRecord[]>;
}

export interface ApiKeysStores {
  readonly apiKeys: ApiKeysStore;
}
