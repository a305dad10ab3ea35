import { custodyReference } from './custody-key-record.ts';
import type { KeysContext } from './keys-context.ts';
import type { StoredSigningKey } from './signing-key-record.ts';

/**
 * Tells the custody the state each key is in now, after the transaction that moved it
 * committed (a custody that enforces states, like the signer process, must never hear of a
 * change that was rolled back). Keys of another custody are not its business. Retired keys are
 * then forgotten by the ring too: their custody reference (for sealed keys, the private half
 * itself) is erased from the row, and a retirement whose erasure was cut short by a restart is
 * finished by the next scheduled step.
 */
export async function tellCustody(
  context: Pick<KeysContext, 'db' | 'keyRing'>,
  keys: readonly StoredSigningKey[],
): Promise<void> {
  const { custody } = context.keyRing;
  for (const key of keys) {
    if (key.custody !== custody.kind) continue;
    if (key.state === 'retired' && key.sealedPrivateJwk === '') continue;
    await custody.stateChanged(custodyReference(key), key.state);
    if (key.state === 'retired') await context.db.signingKeys.eraseCustodyRef(key.kid);
  }
}
