import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
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

  it('slows addresses that failed for an account guessed from many, at most a minute each time', async () => {
    for (let i = 0; i < 60; i++) await fail('c@example.com', `10.1.0.${i}`, 1);
    const guesserWait = await signInBlockedFor(storage, 'c@example.com', '10.1.0.7', t0);
    expect(guesserWait).toBeGreaterThan(0);
    expect(guesserWait).toBeLessThanOrEqual(60_000);
  });

  it('never holds back an address with a clean record for the account by the account-wide key', async () => {
    for (let i = 0; i < 60; i++) await fail('c2@example.com', `10.2.0.${i}`, 1);
    expect(await signInBlockedFor(storage, 'c2@example.com', '192.168.1.10', t0)).toBe(0);
    // One failure of its own and the address is held back like the guessers' until it succeeds.
    await fail('c2@example.com', '192.168.1.10', 1);
    expect(await signInBlockedFor(storage, 'c2@example.com', '192.168.1.10', t0)).toBeGreaterThan(
      0,
    );
    await recordSignInSuccess(storage, 'c2@example.com', '192.168.1.10');
    expect(await signInBlockedFor(storage, 'c2@example.com', '192.168.1.10', t0)).toBe(0);
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

  it("clears the address's record for the account on success, but not the address counter", async () => {
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

/** POST /auth/sign-in from a chosen loopback source address (127.0.0.0/8 all routes to lo). */
function signInFrom(
  base: string,
  sourceAddress: string,
  body: { email: string; password: string },
): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      `${base}/auth/sign-in`,
      {
        method: 'POST',
        localAddress: sourceAddress,
        agent: false,
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
        },
      },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 0));
        response.on('error', reject);
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

describe('sign-in throttling under a distributed guessing attack (over HTTP, many source addresses)', () => {
  const password = 'correct horse battery staple';
  let service: TestService;

  beforeAll(async () => {
    service = await startTestService();
  });
  afterAll(async () => {
    await service.destroy();
  });

  it('lets the owner sign in while guessers at 12 addresses keep the account-wide block renewed', async () => {
    const email = 'besieged@example.com';
    await service.addUser(email, password);
    const attackers = Array.from({ length: 12 }, (_, i) => `127.0.${10 + i}.${1 + i}`);
    const guesses: number[] = [];
    let attacking = true;
    const guess = async (address: string, n: number) =>
      guesses.push(
        await signInFrom(service.url, address, { email, password: `wrong guess ${n}!` }),
      );
    // Phase 1: enough guesses, from every address, to push the account past its 20 free failures.
    for (let round = 0; round < 3; round++) {
      await Promise.all(attackers.map((address) => guess(address, round)));
    }
    // Phase 2: the guessers keep going while the owner, at an address of their own, signs in.
    const attack = Promise.all(
      attackers.map(async (address) => {
        for (let n = 0; attacking; n++) {
          await guess(address, 100 + n);
          await new Promise((resume) => setTimeout(resume, 20));
        }
      }),
    );
    const owner: number[] = [];
    for (let i = 0; i < 5; i++) {
      owner.push(await signInFrom(service.url, '127.0.99.7', { email, password }));
      await new Promise((resume) => setTimeout(resume, 300));
    }
    attacking = false;
    await attack;

    expect(owner).toEqual([200, 200, 200, 200, 200]);
    // The attack did run into the account-wide block: most guesses were refused unanswered.
    expect(guesses.filter((status) => status === 429).length).toBeGreaterThan(guesses.length / 2);
    // Answered guesses: the 20 free account-wide failures, plus at most one more per address
    // (its first, made with a clean record), plus the odd block that ran out mid-test.
    const answered = guesses.filter((status) => status === 401).length;
    expect(answered).toBeLessThanOrEqual(20 + attackers.length + 4);
  }, 30_000);
});
