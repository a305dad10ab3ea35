import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { rotateKeysNow } from '../src/keys/emergency-rotation.ts';
import type { KeyCustody } from '../src/keys/key-custody.ts';
import { KeyRing } from '../src/keys/key-ring.ts';
import type { KeysContext } from '../src/keys/keys-context.ts';
import { rotateKeys } from '../src/keys/rotate-keys.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { releaseRotationLease, runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { createSealedCustody } from '../src/keys/sealed-custody.ts';
import type { SigningKeyState } from '../src/keys/signing-key-record.ts';

/**
 * A custody that enforces states (the signer process signs only with keys it was told are
 * active) needs each change announced after it committed, and in the order that keeps signing
 * working: a key that may now sign before the ring signs with it, a key that stopped signing
 * after the ring let go of it. The real sealed custody, with every announcement recorded along
 * with what the ring was signing with at that moment.
 */
interface Announcement {
  readonly kid: string;
  readonly state: SigningKeyState;
  /** The ring's active keys when the custody heard it. */
  readonly ringActive: readonly string[];
}

let service: TestService;
let ring: KeyRing;
let context: KeysContext;
const heard: Announcement[] = [];

beforeAll(async () => {
  service = await startTestService({ WRIT_KEY_ROTATION_DAYS: '1' });
  // This test's ring runs the steps, not the service's.
  await releaseRotationLease(service.context);
  const sealed = createSealedCustody(service.context.config.masterKey);
  const recording: KeyCustody = {
    ...sealed,
    kind: sealed.kind,
    async stateChanged(key, state) {
      heard.push({ kid: key.kid, state, ringActive: ring?.activeKids() ?? [] });
      await sealed.stateChanged(key, state);
    },
  };
  ring = await KeyRing.open({
    db: service.context.db,
    custody: recording,
    clock: service.clock,
    signingAlgorithms: ['EdDSA'],
    audienceAlgorithms: new Map(),
  });
  context = { ...service.context, keyRing: ring };
});
afterAll(async () => {
  await ring?.close();
  await service.destroy();
});

const times = rotationTimes(86_400);
const since = (from: number) => heard.slice(from).map(({ kid, state }) => [kid, state]);

describe('announcing key states to the custody', () => {
  it('announces the active key again at every start (an activation a crash left unannounced)', () => {
    expect(since(0)).toEqual([[service.context.keyRing.activeKid(), 'active']]);
  });

  it('announces a next key, then its activation before the ring signs with it and the old key’s retirement after', async () => {
    const oldKid = ring.activeKid();
    let from = heard.length;
    const { nextKid } = await rotateKeys(context);
    expect(since(from)).toEqual([[nextKid, 'next']]);

    service.clock.advance(times.leadTimeMs);
    from = heard.length;
    expect(await runScheduledRotation(context, { holder: 'announcements' })).toBe(true);
    expect(heard.slice(from)).toEqual([
      { kid: nextKid, state: 'active', ringActive: [oldKid] },
      { kid: oldKid, state: 'retiring', ringActive: [nextKid] },
    ]);
  });

  it('in an emergency, announces the fresh key before the ring signs with it and the withdrawn one after', async () => {
    const leaked = ring.activeKid();
    const from = heard.length;
    const { activeKids, withdrawnKids } = await rotateKeysNow(context, { emergency: true });
    expect(withdrawnKids).toEqual([leaked]);
    expect(heard.slice(from)).toEqual([
      { kid: activeKids[0], state: 'active', ringActive: [leaked] },
      { kid: leaked, state: 'retired', ringActive: activeKids },
    ]);
    // Told once: the erased reference is not announced again by later steps.
    await runScheduledRotation(context, { holder: 'announcements' });
    expect(heard.filter((a) => a.kid === leaked && a.state === 'retired')).toHaveLength(1);
  });
});
