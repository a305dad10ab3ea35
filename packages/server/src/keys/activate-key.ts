import { KeyActivationError } from './errors.ts';
import type { KeysContext } from './keys-context.ts';

/**
 * Makes a published `next` key the one that signs; the key that signed until now becomes
 * `retiring` (still published: its tokens verify until they expire). The ring in memory, and
 * whatever follows its generation, moves on without a restart. Scheduled rotation builds on it.
 */
export async function activateKey(context: KeysContext, kid: string): Promise<void> {
  const nowMs = context.clock.nowMs();
  const activated = await context.db.transaction((tx) => tx.signingKeys.activate(kid, nowMs));
  if (!activated) throw new KeyActivationError('only a published next key can be activated');
  await context.keyRing.reload(context.db);
}
