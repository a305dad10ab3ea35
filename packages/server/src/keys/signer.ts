import type { AsymmetricAlgorithm } from '@writ/core';
import type { JWK } from 'jose';

/** A JWT to sign: the `typ` names its kind, so it can never pass for another kind. */
export interface SignRequest {
  readonly typ: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Signs tokens and publishes the keys to verify them. The key ring implements it; where the
 * private keys live (the database, a signer process, later a KMS or an HSM) is the ring's
 * `KeyCustody` (key-custody.ts), so the flows never notice.
 */
export interface Signer {
  sign(request: SignRequest): Promise<string>;
  /** Public keys consumers need: next, active and retiring. */
  publicKeys(): readonly JWK[];
  /** Algorithms the published keys use, for discovery metadata. */
  algorithms(): readonly AsymmetricAlgorithm[];
  /**
   * Moves on whenever the published keys or the signing key change. Whatever is derived from
   * `publicKeys()` (the service's own verifier) is rebuilt when it moves, so a key published or
   * activated is honoured without a restart.
   */
  generation(): number;
}
