import type { RevocationEntry } from '@writ/core';
import { nowSec } from '../platform/clock.ts';
import { appendRevocations } from '../revocation/append-revocations.ts';
import { announceKeyChanges } from './announce-key-changes.ts';
import { custodyKeyRecord } from './custody-key-record.ts';
import { KeyRotationError } from './errors.ts';
import type { CustodyKey, SigningAlgorithm } from './key-custody.ts';
import type { KeysContext } from './keys-context.ts';

/**
 * A leaked key: the compromised key (`kid`, or by default every active key) is withdrawn at
 * once — `retired`, gone from the JWKS — and for each active one withdrawn a fresh key of its
 * algorithm is active now, with no lead time (consumers fetch it on first sight of its kid).
 * A `kid` revocation entry, kept as long as any token of the key could still pass a verifier
 * (the standard retention: the longest token lifetime plus the largest clock tolerance), makes
 * consumers with the revocation mirror refuse its tokens within a second; those without refuse
 * them at their next JWKS refresh. All of it in one transaction; the entry is published after it
 * committed. Sessions are untouched: each user's next refresh gets a token from the new key.
 */
export async function rotateKeysNow(
  context: KeysContext,
  options: { readonly emergency: true; readonly kid?: string },
): Promise<{ activeKids: string[]; withdrawnKids: string[] }> {
  return context.keyRing.whileChanging(async () => {
    const { custody } = context.keyRing;
    const published = await context.db.signingKeys.list(['next', 'active', 'retiring']);
    const compromised =
      options.kid === undefined
        ? published.filter((key) => key.state === 'active')
        : published.filter((key) => key.kid === options.kid);
    if (compromised.length === 0) {
      throw new KeyRotationError(
        'no published key has that kid (a retired key is already withdrawn)',
        'ERR_KEY_NOT_PUBLISHED',
      );
    }
    // Slow key generation before the transaction; one fresh key per algorithm that loses its signer.
    const replaced = [
      ...new Set(compromised.filter((key) => key.state === 'active').map((key) => key.alg)),
    ] as SigningAlgorithm[];
    const fresh: CustodyKey[] = await Promise.all(replaced.map((alg) => custody.create(alg)));
    const nowMs = context.clock.nowMs();
    const { withdrawnKids, entries } = await context.db
      .transaction(async (tx) => {
        const withdrawn: string[] = [];
        for (const key of compromised) {
          if (await tx.signingKeys.retire(key.kid, ['next', 'active', 'retiring'], nowMs))
            withdrawn.push(key.kid);
        }
        for (const key of fresh)
          await tx.signingKeys.insert(custodyKeyRecord(key, custody.kind, { nowMs }));
        const appended: RevocationEntry[] = await appendRevocations(
          tx,
          withdrawn.map((kid) => ({ type: 'kid', value: kid })),
          'key_compromised',
          nowSec(context.clock),
        );
        return { withdrawnKids: withdrawn, entries: appended };
      })
      .catch(async (error: unknown) => {
        // Nothing was stored: the fresh keys are discarded by their custody.
        await Promise.all(fresh.map((key) => custody.stateChanged(key, 'retired')));
        throw error;
      });
    context.notifier.publish(entries);
    const freshKids = new Set(fresh.map((key) => key.kid));
    const changed = [
      ...(await context.db.signingKeys.list(['active'])),
      ...(await context.db.signingKeys.listUnerasedRetired()),
    ].filter((key) => freshKids.has(key.kid) || withdrawnKids.includes(key.kid));
    await announceKeyChanges(context, changed);
    return { activeKids: context.keyRing.activeKids(), withdrawnKids };
  });
}
