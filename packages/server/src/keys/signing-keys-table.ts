import type { SigningKeyState } from './signing-key-record.ts';

export interface SigningKeysTables {
  signing_keys: SigningKeysTable;
  key_ring_version: KeyRingVersionTable;
  key_rotation_lease: KeyRotationLeaseTable;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: SigningKeyState;
  public_jwk: string;
  /**
   * The custody's reference to the private half; for `sealed` custody the private JWK sealed
   * with AES-256-GCM under the master key (see platform/crypto/sealed-box.ts). '' once retired.
   */
  sealed_private_jwk: string;
  /** `KeyCustody.kind`: 'sealed' for every key made before custody was a choice. */
  custody: string;
  created_at: number;
  activates_at: number | null;
  activated_at: number | null;
  retires_at: number | null;
  retired_at: number | null;
}

/** One row (id 1): moves on with every change to `signing_keys`, so rings poll one integer. */
export interface KeyRingVersionTable {
  id: number;
  version: number;
}

/** Who runs scheduled rotation steps now, among instances sharing the database. */
export interface KeyRotationLeaseTable {
  name: string;
  holder: string;
  expires_at: number;
}
