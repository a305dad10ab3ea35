import type { SigningKeyRecord, SigningKeyState, StoredSigningKey } from './signing-key-record.ts';

/**
 * The keys module's store. Every state change is a conditional update (the expected state is
 * part of the WHERE), so a step that lost a race, or runs again after a restart, changes nothing
 * and says so (`false`). Every write also moves the ring version on (see `version`).
 */
export interface SigningKeysStore {
  insert(key: SigningKeyRecord): Promise<void>;
  /** Keys in any of `states`, oldest first. */
  list(states: readonly SigningKeyState[]): Promise<StoredSigningKey[]>;
  /** Every key, retired ones included, oldest first. */
  listAll(): Promise<StoredSigningKey[]>;
  /** Retired keys whose custody reference is not erased yet (a retirement not finished). */
  listUnerasedRetired(): Promise<StoredSigningKey[]>;
  /**
   * Makes the `next` key `kid` active and moves the keys it replaces to `retiring` (due to be
   * retired at `retiresAtMs`): every other active key (`replaces: 'every-active'`, the one-key
   * ring's activation) or only those of its algorithm (`'same-algorithm'`, rotation). Call it
   * inside a transaction. Returns false and changes nothing if `kid` is not `next`.
   */
  activate(
    kid: string,
    change: {
      readonly nowMs: number;
      readonly retiresAtMs: number;
      readonly replaces: 'every-active' | 'same-algorithm';
    },
  ): Promise<boolean>;
  /** `active` → `retiring`, due to be retired at `retiresAtMs`. */
  startRetiring(kid: string, retiresAtMs: number): Promise<boolean>;
  /** A `retiring` key with no retirement time yet (made before it existed) gets one. */
  scheduleRetirement(kid: string, retiresAtMs: number): Promise<boolean>;
  /** Any of `from` → `retired` (withdrawn from the JWKS). */
  retire(kid: string, from: readonly SigningKeyState[], nowMs: number): Promise<boolean>;
  /** Forgets a retired key's custody reference once its custody was told (for sealed keys: the private half). */
  eraseCustodyRef(kid: string): Promise<void>;
  /** An integer that moves on with every write above: rings poll it to follow other writers. */
  version(): Promise<number>;
  /**
   * Takes or renews the lease `name` for `holder` until `expiresAtMs` if it is free, expired or
   * already held by `holder`, in one conditional upsert. Returns whether `holder` holds it now.
   */
  takeLease(name: string, holder: string, nowMs: number, expiresAtMs: number): Promise<boolean>;
  releaseLease(name: string, holder: string): Promise<void>;
}

export interface SigningKeysStores {
  readonly signingKeys: SigningKeysStore;
}
