import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { activateKey } from '../src/keys/activate-key.ts';
import { custodyKeyRecord } from '../src/keys/custody-key-record.ts';
import { KeyActivationError, KeyRingError, KeyRotationError } from '../src/keys/errors.ts';
import { KeyRing } from '../src/keys/key-ring.ts';
import { listKeys } from '../src/keys/list-keys.ts';
import { publicKeySet } from '../src/keys/public-key-set.ts';
import { rotateKeys } from '../src/keys/rotate-keys.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { eventually } from './support/interop-rp.ts';

let service: TestService;
const email = 'states@example.com';
const password = 'correct horse battery staple';
const day = 86_400_000;

beforeAll(async () => {
  // A one-day period: the service's own timer steps once a minute, out of these tests' way.
  service = await startTestService({ WRIT_KEY_ROTATION_DAYS: '1' });
  await service.addUser(email, password);
});
afterAll(() => service.destroy());

const times = rotationTimes(86_400);
const jwks = () => call(service.url, 'GET', '/.well-known/jwks.json');
const publishedKids = async (): Promise<string[]> =>
  ((await jwks()).body.keys as Array<{ kid: string }>).map((key) => key.kid);
const stateOf = async (kid: string) =>
  (await listKeys(service.context)).find((key) => key.kid === kid)?.state;
const kidOf = (token: string) => decodeProtectedHeader(token).kid;

describe('key states', () => {
  it('serves the JWKS with a max-age derived from the rotation period, shorter than the lead time', async () => {
    const response = await fetch(`${service.url}/.well-known/jwks.json`);
    expect(response.headers.get('cache-control')).toBe(`public, max-age=${times.jwksMaxAgeSec}`);
    // A day's period: today's 300 s, and a next key is published 300 + 30 (the unknown-kid
    // cooldown) + 2 (other instances following) seconds before it signs.
    expect(times.jwksMaxAgeSec).toBe(300);
    expect(times.leadTimeMs).toBe(332_000);
    // A test's 8-second period: 2 s, and still more than the unknown-kid cooldown.
    expect(rotationTimes(8)).toMatchObject({ jwksMaxAgeSec: 2, leadTimeMs: 34_000 });
    expect(rotationTimes(30 * 86_400).retireAfterMs).toBe((900 + 30) * 1000);
  });

  it('walks next → active → retiring → retired, and publishes a key only while it is not retired', async () => {
    const first = (await listKeys(service.context)).find((key) => key.state === 'active');
    expect(first).toMatchObject({ alg: 'EdDSA', custody: 'sealed', activatesAt: null });
    const oldKid = first?.kid ?? '';

    const rotated = await rotateKeys(service.context);
    expect(rotated.activatesAt - service.clock.nowMs()).toBeLessThanOrEqual(times.leadTimeMs);
    expect(await stateOf(rotated.nextKid)).toBe('next');
    expect(await publishedKids()).toEqual([oldKid, rotated.nextKid]);
    // Published, signing nothing: a step before its time changes nothing.
    await runScheduledRotation(service.context);
    expect(kidOf((await signInBody(service.url, email, password)).access_token)).toBe(oldKid);

    service.clock.advance(times.leadTimeMs);
    await runScheduledRotation(service.context);
    expect(await stateOf(rotated.nextKid)).toBe('active');
    const retiring = (await listKeys(service.context)).find((key) => key.kid === oldKid);
    expect(retiring?.state).toBe('retiring');
    // Kept until every token it signed has expired: the longest lifetime plus the tolerance.
    expect(
      (retiring?.retiresAt ?? 0) - (retiring?.retiredAt ?? service.clock.nowMs()),
    ).toBeGreaterThanOrEqual(times.retireAfterMs - 1000);
    expect(kidOf((await signInBody(service.url, email, password)).access_token)).toBe(
      rotated.nextKid,
    );
    expect(await publishedKids()).toEqual([oldKid, rotated.nextKid]);

    service.clock.advance(times.retireAfterMs - 2000);
    await runScheduledRotation(service.context);
    expect(await stateOf(oldKid)).toBe('retiring');
    service.clock.advance(2000);
    await runScheduledRotation(service.context);
    expect(await stateOf(oldKid)).toBe('retired');
    // Never published again, neither at the well-known JWKS nor by the flow the admin API serves.
    expect(await publishedKids()).toEqual([rotated.nextKid]);
    expect(publicKeySet(service.context).keys.map((key) => key.kid)).toEqual([rotated.nextKid]);
    // Its private half is gone from the row.
    const [stored] = (await service.context.db.signingKeys.list(['retired'])).filter(
      (key) => key.kid === oldKid,
    );
    expect(stored?.sealedPrivateJwk).toBe('');
    // No published key carries a private member.
    for (const key of (await jwks()).body.keys as Array<Record<string, unknown>>) {
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'priv'])
        expect(key).not.toHaveProperty(member);
    }
  });

  it('refuses bad transitions: only a next key activates, a retired key never comes back', async () => {
    const before = await listKeys(service.context);
    const retired = before.filter((key) => key.state === 'retired').map((key) => key.kid);
    const active = before.filter((key) => key.state === 'active').map((key) => key.kid);
    expect(retired.length).toBeGreaterThan(0);
    for (const kid of ['no-such-kid', ...retired, ...active]) {
      await expect(activateKey(service.context, kid)).rejects.toBeInstanceOf(KeyActivationError);
    }
    const store = service.context.db.signingKeys;
    for (const kid of retired) {
      expect(await store.startRetiring(kid, service.clock.nowMs())).toBe(false);
      expect(await store.retire(kid, ['next', 'active', 'retiring'], service.clock.nowMs())).toBe(
        false,
      );
      expect(
        await store.activate(kid, { nowMs: 0, retiresAtMs: 0, replaces: 'same-algorithm' }),
      ).toBe(false);
    }
    // An active key is not `retiring`, so it cannot be retired as one.
    for (const kid of active) expect(await store.retire(kid, ['retiring'], 0)).toBe(false);
    expect(await listKeys(service.context)).toEqual(before);
  });

  it('refuses to rotate to an algorithm outside WRIT_SIGNING_ALGORITHMS', async () => {
    const refused = await rotateKeys(service.context, { algorithm: 'ES256' }).catch(
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(KeyRotationError);
    expect(refused).toMatchObject({ code: 'ERR_KEY_ALGORITHM_NOT_CONFIGURED' });
  });

  it('refuses to activate a key another custody holds, and a ring refuses to load one', async () => {
    const { custody } = service.context.keyRing;
    const key = await custody.create('EdDSA');
    const nowMs = service.clock.nowMs();
    const activeKid = service.context.keyRing.activeKid();
    await service.context.db.signingKeys.insert(
      custodyKeyRecord(key, 'signer-process', { nowMs, activatesAt: nowMs + day }),
    );
    await service.context.keyRing.reload();
    const refused = await activateKey(service.context, key.kid).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(KeyRingError);
    expect(refused).toMatchObject({ code: 'ERR_KEY_RING_CUSTODY_MISMATCH' });
    expect(await stateOf(key.kid)).toBe('next');
    expect(service.context.keyRing.activeKid()).toBe(activeKid);

    // A second ring on the same store, following it as another instance would. Its store is
    // the real one, watched: each poll that finds the store moved reloads, and a reload lists the
    // keys once, so the lists it made tell how many polls it has been through.
    const followErrors: unknown[] = [];
    let followerLists = 0;
    const { db } = service.context;
    const watchedKeys = new Proxy(db.signingKeys, {
      get(target, property) {
        const member = Reflect.get(target, property, target);
        if (typeof member !== 'function') return member;
        if (property !== 'list') return member.bind(target);
        return (...args: unknown[]) => {
          followerLists += 1;
          return member.apply(target, args);
        };
      },
    });
    const watchedDb = new Proxy(db, {
      get(target, property) {
        if (property === 'signingKeys') return watchedKeys;
        const member = Reflect.get(target, property, target);
        return typeof member === 'function' ? member.bind(target) : member;
      },
    });
    const follower = await KeyRing.open({
      db: watchedDb,
      custody,
      clock: service.clock,
      signingAlgorithms: ['EdDSA'],
      audienceAlgorithms: new Map(),
      onFollowError: (error) => followErrors.push(error),
    });

    // Made active behind the ring's back (another instance configured otherwise): the reload is
    // refused and the ring keeps signing with the keys it had.
    await service.context.db.transaction((tx) =>
      tx.signingKeys.activate(key.kid, {
        nowMs,
        retiresAtMs: nowMs + day,
        replaces: 'same-algorithm',
      }),
    );
    const listsBeforeActivation = followerLists;
    const generation = service.context.signer.generation();
    await expect(service.context.keyRing.reload()).rejects.toMatchObject({
      code: 'ERR_KEY_RING_CUSTODY_MISMATCH',
    });
    expect(service.context.signer.generation()).toBe(generation);
    expect(kidOf((await signInBody(service.url, email, password)).access_token)).toBe(activeKid);
    // The follower fails every poll (twice a second) but says so once, and keeps its keys.
    // Waited for by its polls, not by the clock: a fourth reload started means three polls
    // (they never overlap) failed and were reported, however slowly a busy machine ran them.
    await eventually(() => (followerLists - listsBeforeActivation >= 4 ? true : undefined));
    expect(followErrors).toHaveLength(1);
    expect(followErrors[0]).toMatchObject({ code: 'ERR_KEY_RING_CUSTODY_MISMATCH' });
    expect(follower.activeKid()).toBe(activeKid);
    await follower.close();
  });
});
