import type { SigningKeyRecord, SigningKeyState } from './signing-key-record.ts';

export interface SigningKeysStore {
  insert(key: SigningKeyRecord): Promise<void>;
  /** Keys in any of `states`, oldest first. */
  list(states: readonly SigningKeyState[]): Promise<SigningKeyRecord[]>;
}

export interface SigningKeysStores {
  readonly signingKeys: SigningKeysStore;
}
