export interface ApiKeysTables {
  api_keys: ApiKeysTable;
}

export interface ApiKeysTable {
  id: string;
  kind: 'admin' | 'consumer';
  name: string;
  /** SHA-256 of the key. */
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}
