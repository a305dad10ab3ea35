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
  /**
   * Where the private keys live (the key ring's `KeyCustody`, by its `kind`): what
   * `signaturesCanFail` decides by. Absent for a signer that does not say.
   */
  readonly custody?: { readonly kind: string };
}

/** Custodies that sign in this process's memory: once the ring has loaded, a signature cannot fail. */
const inMemoryCustodies: ReadonlySet<string> = new Set(['sealed']);

/**
 * Whether a signature can fail for a while (a custody outside the process that may be down: the
 * signer process, later a KMS or an HSM; or a signer that does not say where its keys are).
 * Refresh signs before its rotation commits only then (sessions/refresh.ts): the read that
 * signing first needs costs the in-memory custody's refresh throughput and buys it nothing.
 */
export function signaturesCanFail(signer: Signer): boolean {
  return signer.custody === undefined || !inMemoryCustodies.has(signer.custody.kind);
}
