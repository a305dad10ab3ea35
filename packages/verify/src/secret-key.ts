import { createSecretKey as createSecretKeyObject } from 'node:crypto';
import type { JwsAlgorithm, SymmetricAlgorithm } from '@writ/core';
import type { KeyResolver } from './key-resolver.ts';
import { reject } from './rejection.ts';
import { type VerificationKey, verificationKey } from './signature.ts';

/**
 * The single shared secret of single-party HMAC mode, as one `KeyObject` bound to each allowed
 * algorithm. The `kid` is not consulted: there is only one key.
 */
export function createSecretKey(
  secret: Uint8Array,
  algorithms: readonly SymmetricAlgorithm[],
): KeyResolver {
  // A KeyObject holds its own copy: later changes to the caller's buffer cannot reach it.
  const keyObject = createSecretKeyObject(new Uint8Array(secret));
  const keys = new Map<JwsAlgorithm, VerificationKey>(
    algorithms.map((alg) => [alg, verificationKey(alg, keyObject)]),
  );
  return {
    resolve(_kid, alg) {
      return keys.get(alg) ?? reject('alg_not_allowed');
    },
    onKeysReplaced() {
      // The secret never changes for the life of the verifier.
    },
  };
}
