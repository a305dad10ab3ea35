import { announceKeyChanges } from './announce-key-changes.ts';
import { custodyKeyRecord } from './custody-key-record.ts';
import type { SigningAlgorithm } from './key-custody.ts';
import type { KeysContext } from './keys-context.ts';
import { type RotationTimes, rotationTimes } from './rotation-schedule.ts';
import type { StoredSigningKey } from './signing-key-record.ts';

const leaseName = 'scheduled-rotation';

/** When a key began signing, or is due to: a late activation (the service was down) counts from when it happened. */
const startOf = (key: StoredSigningKey): number =>
  key.activatedAt ?? key.activatesAt ?? key.createdAt;

/** The newest key of `alg` that signs or will: what the next key is scheduled after. */
function newestSigner(
  keys: readonly StoredSigningKey[],
  alg: string,
): StoredSigningKey | undefined {
  return keys
    .filter((key) => key.alg === alg && (key.state === 'next' || key.state === 'active'))
    .sort((a, b) => startOf(a) - startOf(b))
    .at(-1);
}

/**
 * When `alg`'s next key is due to be published (`undefined`: not yet), and when it will
 * activate: one period after the newest signer starts, and never sooner than one lead time
 * after publication, so every consumer has fetched it before it signs. A period shorter than the
 * lead time therefore keeps several next keys in flight, one published per period.
 */
function nextKeyDue(
  keys: readonly StoredSigningKey[],
  alg: string,
  nowMs: number,
  times: RotationTimes,
): { readonly activatesAt: number } | undefined {
  const newest = newestSigner(keys, alg);
  if (newest === undefined) return { activatesAt: nowMs + times.leadTimeMs };
  const scheduled = startOf(newest) + times.periodMs;
  if (nowMs < scheduled - times.leadTimeMs) return undefined;
  return { activatesAt: Math.max(scheduled, nowMs + times.leadTimeMs) };
}

/**
 * One step of scheduled rotation, idempotent: activate the next keys that are due (each
 * replacing its algorithm's active key, which starts retiring), start retiring the active keys
 * of algorithms no longer configured (once the lead algorithm has an active key, so the ring
 * always signs), publish a next key for each configured algorithm that is due one, retire the
 * retiring keys whose tokens have all expired, and finish retirements a restart cut short.
 *
 * Each change is a conditional write that re-checks its precondition in its own transaction, so a
 * step that runs again after a restart mid-step, or races another, changes nothing twice. A lease
 * row (`key_rotation_lease`) lets one instance at a time run the steps when several share the
 * database; the others return at once. Returns whether it ran (held the lease).
 */
export async function runScheduledRotation(
  context: KeysContext,
  options: { readonly holder?: string } = {},
): Promise<boolean> {
  return context.keyRing.whileChanging(async () => {
    const holder = options.holder ?? context.keyRing.instanceId;
    const times = rotationTimes(context.config.keyRotationPeriodSec);
    const { db, clock } = context;
    const leaseFrom = clock.nowMs();
    const held = await db.transaction((tx) =>
      tx.signingKeys.takeLease(leaseName, holder, leaseFrom, leaseFrom + times.leaseMs),
    );
    if (!held) return false;

    const configured: readonly SigningAlgorithm[] = context.config.signingAlgorithms;
    const isConfigured = (alg: string): boolean => (configured as readonly string[]).includes(alg);
    const lead = configured[0];
    const nowMs = clock.nowMs();
    const retiresAtMs = nowMs + times.retireAfterMs;
    const touched = new Set<string>();
    let keys = await db.signingKeys.list(['next', 'active', 'retiring']);

    // 1. Next keys of configured algorithms whose time has come, oldest first.
    const due = keys
      .filter(
        (key) =>
          key.state === 'next' &&
          isConfigured(key.alg) &&
          (key.activatesAt ?? Number.POSITIVE_INFINITY) <= nowMs,
      )
      .sort((a, b) => startOf(a) - startOf(b));
    for (const key of due) {
      // A key this ring could not sign with (another custody's) is left for an operator: activating
      // it would leave every instance unable to load the ring. The other steps go on.
      if (key.custody !== context.keyRing.custody.kind) continue;
      const changed = await db.transaction((tx) =>
        tx.signingKeys.activate(key.kid, { nowMs, retiresAtMs, replaces: 'same-algorithm' }),
      );
      if (changed) touched.add(key.alg);
    }
    if (touched.size > 0) keys = await db.signingKeys.list(['next', 'active', 'retiring']);

    // 2. Algorithms taken out of the set stop signing, once the lead algorithm can take over: the
    // active key retires, a waiting next key (it never signed) is withdrawn.
    if (keys.some((key) => key.state === 'active' && key.alg === lead)) {
      for (const key of keys) {
        if (isConfigured(key.alg) || key.custody !== context.keyRing.custody.kind) continue;
        const changed =
          key.state === 'active'
            ? await db.transaction((tx) => tx.signingKeys.startRetiring(key.kid, retiresAtMs))
            : key.state === 'next' &&
              (await db.transaction((tx) => tx.signingKeys.retire(key.kid, ['next'], nowMs)));
        if (changed) touched.add(key.alg);
      }
    }

    // 3. A next key for each configured algorithm that is due one. The key is made outside the
    // transaction (generation is slow); the transaction re-checks that it is still due.
    for (const alg of configured) {
      if (nextKeyDue(keys, alg, nowMs, times) === undefined) continue;
      const made = await context.keyRing.custody.create(alg);
      const stored = await db.transaction(async (tx) => {
        const current = await tx.signingKeys.list(['next', 'active']);
        const stillDue = nextKeyDue(current, alg, nowMs, times);
        if (stillDue === undefined) return false;
        await tx.signingKeys.insert(
          custodyKeyRecord(made, context.keyRing.custody.kind, {
            nowMs,
            activatesAt: stillDue.activatesAt,
          }),
        );
        return true;
      });
      if (stored) touched.add(alg);
      // Never stored (another instance was quicker): its custody forgets it.
      else await context.keyRing.custody.stateChanged(made, 'retired');
    }

    // 4. Retiring keys whose every token has expired are retired; one made before retirement
    // times existed gets one, counted from now.
    for (const key of keys) {
      if (key.state !== 'retiring') continue;
      const changed =
        key.retiresAt === null
          ? await db.signingKeys.scheduleRetirement(key.kid, retiresAtMs)
          : key.retiresAt <= nowMs &&
            (await db.transaction((tx) => tx.signingKeys.retire(key.kid, ['retiring'], nowMs)));
      if (changed) touched.add(key.alg);
    }

    // 5. Tell the custody about every key that changed, and finish retirements (erase the private
    // half) — including any a restart interrupted between the retirement and the erasure.
    // (Retired rows stay for the record, public half only, so the step never reads them all.)
    const changed = [
      ...(await db.signingKeys.list(['next', 'active', 'retiring'])).filter((key) =>
        touched.has(key.alg),
      ),
      ...(await db.signingKeys.listUnerasedRetired()),
    ];
    await announceKeyChanges(context, changed, { reload: touched.size > 0 });
    return true;
  });
}

/** Lets another instance take over at once (service shutdown), instead of after the lease expires. */
export async function releaseRotationLease(
  context: Pick<KeysContext, 'db' | 'keyRing'>,
  options: { readonly holder?: string } = {},
): Promise<void> {
  await context.db.signingKeys.releaseLease(
    leaseName,
    options.holder ?? context.keyRing.instanceId,
  );
}
