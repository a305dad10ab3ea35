import { custodyReference } from './custody-key-record.ts';
import type { KeysContext } from './keys-context.ts';
import type { StoredSigningKey } from './signing-key-record.ts';

/**
 * After a transaction that moved keys committed: tells the custody the state each key is in now
 * (a custody that enforces states, like the signer process, must never hear of a change that
 * was rolled back) and reloads the ring, in the order that keeps signing working throughout —
 * keys that may now sign (`next`, `active`) are announced before the ring reloads and uses
 * them, keys that stopped signing (`retiring`, `retired`) after it let go of them. Keys of
 * another custody are not its business. Retired keys are then forgotten by the ring too: their
 * custody reference (for sealed keys, the private half itself) is erased from the row; a
 * retirement whose erasure a restart cut short is finished by the next scheduled step.
 */
export async function announceKeyChanges(
  context: Pick<KeysContext, 'db' | 'keyRing'>,
  keys: readonly StoredSigningKey[],
  options: { readonly reload: boolean } = { reload: true },
): Promise<void> {
  const { custody } = context.keyRing;
  const ours = keys.filter(
    (key) =>
      key.custody === custody.kind && !(key.state === 'retired' && key.sealedPrivateJwk === ''),
  );
  for (const key of ours) {
    if (key.state === 'next' || key.state === 'active')
      await custody.stateChanged(custodyReference(key), key.state);
  }
  if (options.reload) await context.keyRing.reload(context.db);
  for (const key of ours) {
    if (key.state !== 'retiring' && key.state !== 'retired') continue;
    await custody.stateChanged(custodyReference(key), key.state);
    if (key.state === 'retired') await context.db.signingKeys.eraseCustodyRef(key.kid);
  }
}
