import { custodyKeyRecord } from './custody-key-record.ts';
import type { SigningAlgorithm } from './key-custody.ts';
import type { KeysContext } from './keys-context.ts';
import { rotationTimes } from './rotation-schedule.ts';

/**
 * Adds a key in state `next`: published in the JWKS at once, signing nothing yet, so consumers
 * have fetched it before the first token it signs reaches them. Scheduled rotation activates it
 * at `activatesAt` (by default after the publication lead time, see rotation-schedule.ts);
 * activateKey does so at once. Returns its kid.
 */
export async function publishNextKey(
  context: KeysContext,
  options: { readonly algorithm?: SigningAlgorithm; readonly activatesAt?: number } = {},
): Promise<string> {
  return context.keyRing.whileChanging(async () => {
    const { custody } = context.keyRing;
    const nowMs = context.clock.nowMs();
    const algorithm = options.algorithm ?? context.config.signingAlgorithms[0] ?? 'EdDSA';
    const key = await custody.create(algorithm);
    await context.db.signingKeys.insert(
      custodyKeyRecord(key, custody.kind, {
        nowMs,
        activatesAt:
          options.activatesAt ??
          nowMs + rotationTimes(context.config.keyRotationPeriodSec).leadTimeMs,
      }),
    );
    await custody.stateChanged(key, 'next');
    await context.keyRing.reload(context.db);
    return key.kid;
  });
}
