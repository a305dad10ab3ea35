import type { JwsAlgorithm } from '@writ/core';
import { buildKeyIndex, type KeyIndex } from './key-index.ts';
import type { KeyResolver } from './key-resolver.ts';
import { reject } from './rejection.ts';
import type { VerificationKey } from './signature.ts';

/** A key set given in configuration. Imported once, on first use. */
export function createLocalKeySet(jwks: unknown, allowed: ReadonlySet<JwsAlgorithm>): KeyResolver {
  let index: KeyIndex | undefined;
  const loading = buildKeyIndex(jwks, allowed).then((built) => {
    index = built;
    return built;
  });
  const lookup = (keys: KeyIndex, kid: string | undefined, alg: JwsAlgorithm): VerificationKey => {
    const key = kid === undefined ? undefined : keys.get(kid)?.get(alg);
    return key ?? reject('unknown_kid');
  };
  return {
    resolve(kid, alg) {
      return index === undefined
        ? loading.then((keys) => lookup(keys, kid, alg))
        : lookup(index, kid, alg);
    },
    onKeysReplaced() {
      // A configured key set never changes.
    },
  };
}
