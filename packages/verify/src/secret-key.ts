import type { JwsAlgorithm, SymmetricAlgorithm } from '@writ/core';
import type { KeyResolver } from './key-resolver.ts';
import { reject } from './rejection.ts';

const hashFor: Record<SymmetricAlgorithm, string> = {
  HS256: 'SHA-256',
  HS384: 'SHA-384',
  HS512: 'SHA-512',
};

/**
 * The single shared secret of single-party HMAC mode, imported once per allowed algorithm.
 * The `kid` is not consulted: there is only one key.
 */
export function createSecretKey(
  secret: Uint8Array,
  algorithms: readonly SymmetricAlgorithm[],
): KeyResolver {
  const keys = new Map<JwsAlgorithm, CryptoKey>();
  const loading = Promise.all(
    algorithms.map(async (alg) => {
      const key = await crypto.subtle.importKey(
        'raw',
        new Uint8Array(secret),
        { name: 'HMAC', hash: hashFor[alg] },
        false,
        ['verify'],
      );
      keys.set(alg, key);
    }),
  );
  let ready = false;
  void loading.then(() => {
    ready = true;
  });
  const lookup = (alg: JwsAlgorithm): CryptoKey => keys.get(alg) ?? reject('alg_not_allowed');
  return {
    resolve(_kid, alg) {
      return ready ? lookup(alg) : loading.then(() => lookup(alg));
    },
    onKeysReplaced() {
      // The secret never changes for the life of the verifier.
    },
  };
}
