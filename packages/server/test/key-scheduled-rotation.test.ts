import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { type TestClock, testClock } from '../../../test/support/test-clock.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { type RunningService, startService } from '../src/app/start-service.ts';
import { listKeys } from '../src/keys/list-keys.ts';
import { rotationTimes } from '../src/keys/rotation-schedule.ts';
import { runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';

/**
 * Scheduled rotation end to end on the service's own clock: a ten-minute period (the service's
 * timer steps once a minute, so the steps here are the ones that count), a next key published
 * one lead time before its turn, activated on time, the old key retired once its tokens are
 * gone — with the service restarted in the middle, twice.
 */
const periodSec = 600;
const times = rotationTimes(periodSec);
let first: TestService;
let current: RunningService;
let clock: TestClock;
/** How far the test has moved time, carried over to each restarted service's clock. */
let offsetMs = 0;

beforeAll(async () => {
  first = await startTestService({ WRIT_KEY_ROTATION_SEC: String(periodSec) });
  current = first;
  clock = first.clock;
});
afterAll(async () => {
  await current.close();
  rmSync(first.dataDir, { recursive: true, force: true });
});

const advance = (ms: number): void => {
  offsetMs += ms;
  clock.advance(ms);
};

/** Stops the service and starts it again on the same data, as a crash and a supervisor would. */
async function restart(): Promise<void> {
  await current.close();
  clock = testClock();
  clock.advance(offsetMs);
  current = await startService(loadConfig({ env: first.env, cwd: first.dataDir, warn: () => {} }), {
    logger: false,
    clock,
  });
}

const keys = () => listKeys(current.context);
const signedKid = async (): Promise<unknown> =>
  decodeProtectedHeader(
    await current.context.signer.sign({ typ: 'at+jwt', claims: { aud: 'https://api.writ.test' } }),
  ).kid;
const publishedKids = async (): Promise<string[]> =>
  (
    (await call(current.url, 'GET', '/.well-known/jwks.json')).body.keys as Array<{ kid: string }>
  ).map((key) => key.kid);

describe('scheduled rotation', () => {
  it('publishes, activates and retires on schedule, and a restart mid-step changes nothing twice', async () => {
    const [k0] = await keys();
    expect(k0?.state).toBe('active');
    const k0Kid = k0?.kid ?? '';
    const activatedAt = k0?.activatedAt ?? 0;

    // Not due yet: one second before the next key must be published.
    advance(activatedAt + times.periodMs - times.leadTimeMs - clock.nowMs() - 1000);
    await runScheduledRotation(current.context);
    expect(await keys()).toHaveLength(1);

    // Due: published one lead time before it signs, scheduled one period after k0 began.
    advance(1000);
    await runScheduledRotation(current.context);
    const next = (await keys()).find((key) => key.state === 'next');
    // (The test clock runs on with real time: a few milliseconds pass between the steps.)
    expect(next?.activatesAt).toBeGreaterThanOrEqual(activatedAt + times.periodMs);
    expect(next?.activatesAt).toBeLessThan(activatedAt + times.periodMs + 1000);
    expect(await publishedKids()).toEqual([k0Kid, next?.kid]);
    // Running the step again, or after a restart, publishes no second key.
    await runScheduledRotation(current.context);
    await restart();
    await runScheduledRotation(current.context);
    expect((await keys()).filter((key) => key.state === 'next')).toHaveLength(1);
    expect(await signedKid()).toBe(k0Kid);

    // Its time comes: it signs, k0 retires for as long as its tokens may live.
    advance(times.leadTimeMs);
    await runScheduledRotation(current.context);
    const afterActivation = await keys();
    expect(afterActivation.map((key) => [key.kid, key.state])).toEqual([
      [k0Kid, 'retiring'],
      [next?.kid, 'active'],
    ]);
    expect(await signedKid()).toBe(next?.kid);
    const retiresAt = afterActivation[0]?.retiresAt ?? 0;
    expect(retiresAt - clock.nowMs()).toBeGreaterThan(times.retireAfterMs - 5000);

    // A crash mid-retirement: the retirement committed, the private half not yet erased (the
    // step's next write). The restarted service's step finishes it, once.
    advance(retiresAt - clock.nowMs());
    const nowMs = clock.nowMs();
    expect(await current.context.db.signingKeys.retire(k0Kid, ['retiring'], nowMs)).toBe(true);
    await restart();
    const [halfRetired] = await current.context.db.signingKeys.list(['retired']);
    expect(halfRetired?.sealedPrivateJwk).not.toBe('');
    await runScheduledRotation(current.context);
    const [retired] = await current.context.db.signingKeys.list(['retired']);
    expect(retired).toMatchObject({ kid: k0Kid, sealedPrivateJwk: '', retiredAt: nowMs });
    // Meanwhile the key after `next` was published (it is due one period after `next` began).
    const published = await publishedKids();
    expect(published).not.toContain(k0Kid);
    expect(published).toContain(next?.kid);
    await runScheduledRotation(current.context);
    expect((await keys()).map((key) => key.state)).toEqual(['retired', 'active', 'next']);
    expect(await signedKid()).toBe(next?.kid);
  });

  it('after the service was down past its schedule, activates the overdue key at once and the next a period later', async () => {
    const overdue = (await keys()).find((key) => key.state === 'next');
    advance(3 * times.periodMs);
    const stepAt = clock.nowMs();
    await runScheduledRotation(current.context);
    expect(await signedKid()).toBe(overdue?.kid);
    const activated = (await keys()).find((key) => key.kid === overdue?.kid);
    expect(activated?.activatedAt).toBeGreaterThanOrEqual(stepAt);
    expect((await keys()).filter((key) => key.state === 'next')).toHaveLength(0);
    advance(times.periodMs - times.leadTimeMs);
    await runScheduledRotation(current.context);
    const waiting = (await keys()).filter((key) => key.state === 'next');
    expect(waiting).toHaveLength(1);
    // (Or a few milliseconds later: the test clock runs on with real time.)
    expect(waiting[0]?.activatesAt).toBeGreaterThanOrEqual(
      (activated?.activatedAt ?? 0) + times.periodMs,
    );
    expect(waiting[0]?.activatesAt).toBeLessThan(
      (activated?.activatedAt ?? 0) + times.periodMs + 1000,
    );
  });
});

describe("the service's own timer", () => {
  it('runs the step every tenth of a period (at least once a second): keys publish and activate with nobody calling it', async () => {
    const shortPeriodSec = 4;
    const short = rotationTimes(shortPeriodSec);
    expect(short.stepEveryMs).toBe(1000);
    const timed = await startTestService({ WRIT_KEY_ROTATION_SEC: String(shortPeriodSec) });
    try {
      const waitFor = async (what: string, done: () => Promise<boolean>): Promise<void> => {
        const from = performance.now();
        while (!(await done())) {
          expect(performance.now() - from, what).toBeLessThan(3000);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      };
      const stateOf = async (state: string) =>
        (await listKeys(timed.context)).filter((key) => key.state === state);
      const [first] = await stateOf('active');
      // A next key is due one period after the first key began, less the lead time: with a
      // period shorter than the lead time, that is at once (the step at start-up publishes it).
      timed.clock.advance(
        Math.max(
          0,
          (first?.activatedAt ?? 0) + short.periodMs - short.leadTimeMs - timed.clock.nowMs(),
        ),
      );
      await waitFor('a next key published', async () => (await stateOf('next')).length > 0);
      const [next] = await stateOf('next');
      timed.clock.advance((next?.activatesAt ?? 0) - timed.clock.nowMs());
      await waitFor('the next key active', async () =>
        (await stateOf('active')).some((key) => key.kid === next?.kid),
      );
      expect(timed.context.keyRing.activeKid()).toBe(next?.kid);
      expect((await stateOf('retiring')).map((key) => key.kid)).toEqual([first?.kid]);
    } finally {
      await timed.destroy();
    }
  });
});
