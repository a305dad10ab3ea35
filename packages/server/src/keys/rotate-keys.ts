import { announceKeyChanges } from './announce-key-changes.ts';
import { custodyKeyRecord } from './custody-key-record.ts';
import { KeyRotationError } from './errors.ts';
import type { SigningAlgorithm } from './key-custody.ts';
import type { KeysContext } from './keys-context.ts';
import { rotationTimes } from './rotation-schedule.ts';

/**
 * A scheduled-style rotation started now: a fresh `next` key for `algorithm` (default: the lead
 * algorithm) is published at once and becomes active after the publication lead time, when
 * scheduled rotation's next step activates it; the key it replaces then retires as usual. Next
 * keys of that algorithm already waiting are withdrawn (they never signed), so this key is the
 * one that takes over. Nobody is signed out: sessions refresh onto the new key.
 */
export async function rotateKeys(
  context: KeysContext,
  options: { readonly algorithm?: SigningAlgorithm } = {},
): Promise<{ nextKid: string; activatesAt: number }> {
  return context.keyRing.whileChanging(async () => {
    const algorithm = options.algorithm ?? context.config.signingAlgorithms[0] ?? 'EdDSA';
    if (!context.config.signingAlgorithms.includes(algorithm)) {
      throw new KeyRotationError(
        `${algorithm} is not in WRIT_SIGNING_ALGORITHMS: add it there to roll it out`,
        'ERR_KEY_ALGORITHM_NOT_CONFIGURED',
      );
    }
    const { custody } = context.keyRing;
    const key = await custody.create(algorithm);
    const nowMs = context.clock.nowMs();
    const activatesAt = nowMs + rotationTimes(context.config.keyRotationPeriodSec).leadTimeMs;
    const withdrawn = await context.db.transaction(async (tx) => {
      const waiting = (await tx.signingKeys.list(['next'])).filter(
        (next) => next.alg === algorithm,
      );
      for (const next of waiting) await tx.signingKeys.retire(next.kid, ['next'], nowMs);
      await tx.signingKeys.insert(custodyKeyRecord(key, custody.kind, { nowMs, activatesAt }));
      return waiting.map((next) => next.kid);
    });
    const changed = [
      ...(await context.db.signingKeys.list(['next'])),
      ...(await context.db.signingKeys.listUnerasedRetired()),
    ].filter((stored) => stored.kid === key.kid || withdrawn.includes(stored.kid));
    await announceKeyChanges(context, changed);
    return { nextKid: key.kid, activatesAt };
  });
}
