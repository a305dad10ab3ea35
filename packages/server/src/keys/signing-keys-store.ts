import type { SigningKeyRecord, SigningKeyState } from './signing-key-record.ts';

export interface SigningKeysStore {
  insert(key: SigningKeyRecord): Promise<void>;
  /** Keys in any of `states`, oldest first. */
  list(states: readonly SigningKeyState[]): Promise<SigningKeyRecord[]>;
  /**
   * Makes the `next` key `kid` the active one and the key active until now `retiring`, in one
   * write set (call it inside a transaction). The state check is part of the update, so a key
   * that is not `next` — unknown, already active, retiring — is never activated: returns false
   * and changes nothing.
   */
  activate(kid: string, activatedAtMs: number): Promise<boolean>;
}

export interface SigningKeysStores {
  readonly signingKeys: SigningKeysStore;
}
