import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openServiceDatabase, type ServiceDatabase } from '../src/app/open-service-database.ts';
import type { ServiceStores } from '../src/app/stores.ts';
import type { UnitOfWork } from '../src/platform/database/unit-of-work.ts';
import {
  admitSignInAttempt,
  pruneSignInThrottles,
  recordSignInFailure,
  recordSignInSuccess,
  signInBlockedFor,
  signInSucceeded,
} from '../src/throttle/sign-in-throttle.ts';
import { call } from './support/api-client.ts';
import { startTestService, type TestService } from './support/test-service.ts';

let dir: string;
let database: ServiceDatabase;
let storage: UnitOfWork<ServiceStores>;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-throttle-'));
  database = await openServiceDatabase(`sqlite:${join(dir, 'writ.db')}`);
  storage = database.db;
});
afterAll(async () => {
  await database.close();
  rmSync(dir, { recursive: true, force: true });
});

const t0 = Date.UTC(2030, 0, 1);

async function fail(email: string, ip: string, times: number, at = t0): Promise<void> {
  for (let i = 0; i < times; i++) await recordSignInFailure(storage, email, ip, at);
}

describe('sign-in throttling', () => {
  it('allows 5 failures from one address, then backs off exponentially up to 15 minutes', async () => {
    await fail('a@example.com', '10.0.0.1', 5);
    expect(await signInBlockedFor(storage, 'a@example.com', '10.0.0.1', t0)).toBe(0);
    await fail('a@example.com', '10.0.0.1', 1);
    expect(await signInBlockedFor(storage, 'a@example.com', '10.0.0.1', t0)).toBe(1000);
    await fail('a@example.com', '10.0.0.1', 1);
    expect(await signInBlockedFor(storage, 'a@example.com', '10.0.0.1', t0)).toBe(2000);
    await fail('a@example.com', '10.0.0.1', 20);
    expect(await signInBlockedFor(storage, 'a@example.com', '10.0.0.1', t0)).toBe(15 * 60_000);
  });

  it('lets the account owner in from another address while an attacker is blocked at theirs', async () => {
    await fail('b@example.com', '10.0.0.2', 8);
    expect(await signInBlockedFor(storage, 'b@example.com', '10.0.0.2', t0)).toBeGreaterThan(0);
    expect(await signInBlockedFor(storage, 'b@example.com', '192.168.1.9', t0)).toBe(0);
  });

  it('caps the account-wide block at one minute however many addresses attack it', async () => {
    for (let i = 0; i < 60; i++) await fail('c@example.com', `10.1.0.${i}`, 1);
    const victimWait = await signInBlockedFor(storage, 'c@example.com', '192.168.1.10', t0);
    expect(victimWait).toBeGreaterThan(0);
    expect(victimWait).toBeLessThanOrEqual(60_000);
  });

  it('blocks one address spraying many accounts after 100 failures', async () => {
    for (let i = 0; i < 100; i++) await fail(`spray${i}@example.com`, '10.9.9.9', 1);
    expect(await signInBlockedFor(storage, 'fresh@example.com', '10.9.9.9', t0)).toBe(0);
    await fail('spray-last@example.com', '10.9.9.9', 1);
    expect(await signInBlockedFor(storage, 'fresh@example.com', '10.9.9.9', t0)).toBeGreaterThan(0);
  });

  it('forgets failures older than 15 minutes', async () => {
    await fail('d@example.com', '10.0.0.4', 6);
    expect(await signInBlockedFor(storage, 'd@example.com', '10.0.0.4', t0)).toBeGreaterThan(0);
    const later = t0 + 16 * 60_000;
    await fail('d@example.com', '10.0.0.4', 1, later);
    expect(await signInBlockedFor(storage, 'd@example.com', '10.0.0.4', later)).toBe(0);
  });

  it('clears the account counters on success, but not the address counter', async () => {
    await fail('e@example.com', '10.0.0.5', 4);
    await recordSignInSuccess(storage, 'e@example.com', '10.0.0.5');
    await fail('e@example.com', '10.0.0.5', 5);
    expect(await signInBlockedFor(storage, 'e@example.com', '10.0.0.5', t0)).toBe(0);
  });

  it('counts an admitted attempt at once, and takes it back from the address when it succeeds', async () => {
    const at = () => t0;
    for (let i = 0; i < 6; i++) {
      const admission = await admitSignInAttempt(storage, 'f@example.com', '10.0.0.6', at);
      expect(admission.blockedMs).toBe(0);
      admission.end();
    }
    expect((await admitSignInAttempt(storage, 'f@example.com', '10.0.0.6', at)).blockedMs).toBe(
      1000,
    );
    expect((await storage.throttles.find('ip:10.0.0.6'))?.failures).toBe(6);
    await signInSucceeded(storage, 'f@example.com', '10.0.0.6');
    expect(await signInBlockedFor(storage, 'f@example.com', '10.0.0.6', t0)).toBe(0);
    expect((await storage.throttles.find('ip:10.0.0.6'))?.failures).toBe(5);
  });

  it('forgets spent counters, but never one that still blocks', async () => {
    const now = t0 + 60 * 60_000;
    await storage.throttles.save({
      key: 'spent',
      failures: 3,
      blockedUntil: 0,
      updatedAt: now - 20 * 60_000,
    });
    await storage.throttles.save({
      key: 'recent',
      failures: 3,
      blockedUntil: 0,
      updatedAt: now - 60_000,
    });
    await storage.throttles.save({
      key: 'blocking',
      failures: 40,
      blockedUntil: now + 60_000,
      updatedAt: now - 20 * 60_000,
    });
    await pruneSignInThrottles(storage, now);
    expect(await storage.throttles.find('spent')).toBeUndefined();
    expect(await storage.throttles.find('recent')).toBeDefined();
    expect(await storage.throttles.find('blocking')).toBeDefined();
  });
});

describe('sign-in throttling of concurrent attempts (over HTTP)', () => {
  const password = 'correct horse battery staple';
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.destroy();
  });

  const burst = (email: string, typed: string) =>
    Promise.all(
      Array.from({ length: 16 }, () =>
        call(service.url, 'POST', '/auth/sign-in', { body: { email, password: typed } }),
      ),
    );

  it('lets 16 concurrent correct sign-ins for one account from one address all succeed', async () => {
    await service.addUser('tabs@example.com', password);
    const answers = await burst('tabs@example.com', password);
    expect(answers.map((answer) => answer.status)).toEqual(Array(16).fill(200));
  });

  it('still counts a burst of 16 concurrent wrong guesses before answering any of them', async () => {
    await service.addUser('burst@example.com', password);
    const statuses = (await burst('burst@example.com', 'not the password at all')).map(
      (answer) => answer.status,
    );
    const guessed = statuses.filter((status) => status === 401).length;
    const throttled = statuses.filter((status) => status === 429).length;
    expect(guessed + throttled).toBe(16);
    // 5 free failures and the sixth that starts the backoff; one more only if the 1 s block
    // ran out while the first guesses were still being checked.
    expect(guessed).toBeGreaterThanOrEqual(6);
    expect(guessed).toBeLessThanOrEqual(7);
    // The owner, at the same address, is then refused like the guesser.
    const owner = await call(service.url, 'POST', '/auth/sign-in', {
      body: { email: 'burst@example.com', password },
    });
    expect(owner.status).toBe(429);
  });
});
