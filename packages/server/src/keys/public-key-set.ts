import type { JWK } from 'jose';
import type { KeysContext } from './keys-context.ts';

/**
 * What /.well-known/jwks.json serves: the public halves of the next, active and retiring keys,
 * as the ring in memory holds them (it follows the store within a second). Never a retired key.
 */
export function publicKeySet(context: Pick<KeysContext, 'keyRing'>): { keys: JWK[] } {
  return { keys: [...context.keyRing.publicKeys()] };
}
