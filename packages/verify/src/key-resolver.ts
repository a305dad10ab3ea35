import type { JwsAlgorithm } from '@writ/core';
import type { VerificationKey } from './signature.ts';

/**
 * Where the verifier gets the key for a token. `kid` is undefined only in shared-secret mode.
 * Returns the key, or throws a `Rejection` (`unknown_kid`, `key_set_unavailable`).
 */
export interface KeyResolver {
  resolve(kid: string | undefined, alg: JwsAlgorithm): VerificationKey | Promise<VerificationKey>;
  /** Called with a listener that must run whenever previously served keys may have gone away. */
  onKeysReplaced(listener: () => void): void;
}
