import type { JWK } from 'jose';
import type { SigningKeyState } from './signing-key-record.ts';

/**
 * Algorithms the service can sign with. RSA keys are 2048 bits or more. ML-DSA is experimental
 * (post-quantum; few verifiers accept it yet), never a default.
 */
export type SigningAlgorithm = 'EdDSA' | 'ES256' | 'PS256' | 'RS256' | 'ML-DSA-44' | 'ML-DSA-65';

/** A key custody has just made: its public half to publish, and how to find its private half again. */
export interface CustodyKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The public JWK as published: with `kid`, `alg` and `use: 'sig'`, never a private member. */
  readonly publicJwk: JWK;
  /**
   * What the key ring stores to reach the private half again: for sealed custody, the private
   * JWK sealed under the master key; for an external signer, its handle for the key. Opaque to
   * everything but the custody that made it.
   */
  readonly custodyRef: string;
}

/** A stored key, as a custody is asked to open it. */
export interface CustodyKeyReference {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly custodyRef: string;
}

/** One key, ready to sign: it sees only the JWS signing input, never the claims as objects. */
export interface KeyHandle {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  /** The JWS signature (raw bytes, RFC 7515 §5.1 step 5) over `signingInput` (`header.payload`, ASCII). */
  sign(signingInput: Uint8Array): Promise<Uint8Array>;
}

/**
 * Where private signing keys live. The key ring (keys/key-ring.ts) keeps the states and decides
 * which key signs; a custody makes keys, signs with them and forgets them. `sealed` keeps them
 * in the service's database, sealed under the master key; `signer-process` keeps them in a
 * separate process the service reaches over a local socket, so the service never sees key
 * material. A cloud KMS, Vault Transit or a PKCS#11 HSM is one more implementation of this.
 */
export interface KeyCustody {
  /** Stored with each key, so a ring never asks one custody to open another's key. */
  readonly kind: string;
  create(alg: SigningAlgorithm): Promise<CustodyKey>;
  open(key: CustodyKeyReference): Promise<KeyHandle>;
  /**
   * The ring moved a key to `state`. A custody that enforces states (the signer process signs
   * only with active keys) records it; on `retired` it may destroy the private half for good.
   */
  stateChanged(key: CustodyKeyReference, state: SigningKeyState): Promise<void>;
  close(): Promise<void>;
}
