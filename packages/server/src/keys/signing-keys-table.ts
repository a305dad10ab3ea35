import type { SigningKeyState } from './signing-key-record.ts';

export interface SigningKeysTables {
  signing_keys: SigningKeysTable;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: SigningKeyState;
  public_jwk: string;
  /** The private JWK sealed with AES-256-GCM under the master key (see platform/crypto/sealed-box.ts). */
  sealed_private_jwk: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}
