import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStorage } from '../src/storage/open-storage.ts';
import type { Storage } from '../src/storage/storage.ts';
import {
  admitSignInAttempt,
  pruneSignInThrottles,
  recordSignInFailure,
  recordSignInSuccess,
  signInBlockedFor,
  signInSucceeded,
} from '../src/throttle/sign-in-throttle.ts';

let dir: string;
let storage: Storage;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'writ-throttle-'));
  storage = await openStorage(`sqlite:${join(dir, 'writ.db')}`);
});
afterAll(async () => {
  await storage.close();
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
    for (let i = 0; i < 6; i++) {
      expect(await admitSignInAttempt(storage, 'f@example.com', '10.0.0.6', t0)).toBe(0);
    }
    expect(await admitSignInAttempt(storage, 'f@example.com', '10.0.0.6', t0)).toBe(1000);
    expect((await storage.findThrottle('ip:10.0.0.6'))?.failures).toBe(6);
    await signInSucceeded(storage, 'f@example.com', '10.0.0.6');
    expect(await signInBlockedFor(storage, 'f@example.com', '10.0.0.6', t0)).toBe(0);
    expect((await storage.findThrottle('ip:10.0.0.6'))?.failures).toBe(5);
  });

  it('forgets spent counters, but never one that still blocks', async () => {
    const now = t0 + 60 * 60_000;
    await storage.saveThrottle({
      key: 'spent',
      failures: 3,
      blockedUntil: 0,
      updatedAt: now - 20 * 60_000,
    });
    await storage.saveThrottle({
      key: 'recent',
      failures: 3,
      blockedUntil: 0,
      updatedAt: now - 60_000,
    });
    await storage.saveThrottle({
      key: 'blocking',
      failures: 40,
      blockedUntil: now + 60_000,
      updatedAt: now - 20 * 60_000,
    });
    await pruneSignInThrottles(storage, now);
    expect(await storage.findThrottle('spent')).toBeUndefined();
    expect(await storage.findThrottle('recent')).toBeDefined();
    expect(await storage.findThrottle('blocking')).toBeDefined();
  });
});
