import type { AsymmetricAlgorithm } from '@writ/core';
import type { JWK } from 'jose';

/** A JWT to sign: the `typ` names its kind, so it can never pass for another kind. */
export interface SignRequest {
  readonly typ: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

/**
 * Signs tokens and publishes the keys to verify them. The key ring implements it today; an HSM
 * or KMS-backed signer can implement it later without the flows noticing.
 */
export interface Signer {
  sign(request: SignRequest): Promise<string>;
  /** Public keys consumers need: next, active and retiring. */
  publicKeys(): readonly JWK[];
  /** Algorithms the published keys use, for discovery metadata. */
  algorithms(): readonly AsymmetricAlgorithm[];
}
