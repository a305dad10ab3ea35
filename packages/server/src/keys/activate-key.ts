import { announceKeyChanges } from './announce-key-changes.ts';
import { KeyActivationError } from './errors.ts';
import { refuseUnopenable } from './key-ring.ts';
import type { KeysContext } from './keys-context.ts';
import { rotationTimes } from './rotation-schedule.ts';

/**
 * Makes a published `next` key the one that signs, now, whatever its scheduled time; every key
 * that signed until now becomes `retiring` (still published: its tokens verify until they
 * expire). Scheduled rotation activates per algorithm instead (scheduled-rotation.ts); this is
 * the one-key ring's step, kept for operators and tests that hand-place a key. The ring in
 * memory, and whatever follows its generation, moves on without a restart.
 */
export async function activateKey(context: KeysContext, kid: string): Promise<void> {
  return context.keyRing.whileChanging(async () => {
    const nowMs = context.clock.nowMs();
    const retiresAtMs = nowMs + rotationTimes(context.config.keyRotationPeriodSec).retireAfterMs;
    const next = (await context.db.signingKeys.list(['next'])).find((key) => key.kid === kid);
    if (next !== undefined) refuseUnopenable(next, context.keyRing.custody);
    const before = await context.db.signingKeys.list(['active']);
    const activated = await context.db.transaction((tx) =>
      tx.signingKeys.activate(kid, { nowMs, retiresAtMs, replaces: 'every-active' }),
    );
    if (!activated) throw new KeyActivationError('only a published next key can be activated');
    const after = await context.db.signingKeys.list(['active', 'retiring']);
    await announceKeyChanges(
      context,
      after.filter((key) => key.kid === kid || before.some((old) => old.kid === key.kid)),
    );
  });
}
