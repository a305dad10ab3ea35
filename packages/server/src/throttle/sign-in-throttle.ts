import { hashSecret } from '../platform/crypto/random.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ThrottleRecord } from './throttle-record.ts';
import type { ThrottlesStores } from './throttles-store.ts';

/**
 * Sign-in throttling with exponential backoff, on three keys:
 * - account + IP: the guessing attacker at one address (5 free failures, then up to 15 min);
 * - IP: one address spraying many accounts (100 free failures, then up to 15 min);
 * - account alone: guesses spread over many addresses (20 free failures, then at most 60 s).
 * The account-wide key is the one an attacker can aim at a victim, so it never applies to an
 * address with a clean record for the account (no failure for that account + IP in the window):
 * guessers renewing it from their own addresses cannot lock the owner out. It still slows every
 * address that has failed: past it, each address gets one guess per window instead of five.
 * Keys are hashes of what was typed, whether or not such an account exists: the throttle
 * behaves the same for real and made-up accounts and tells an attacker nothing.
 */
interface Rule {
  readonly prefix: string;
  readonly freeFailures: number;
  readonly maxBlockMs: number;
}

const rules = {
  pair: { prefix: 'pair', freeFailures: 5, maxBlockMs: 15 * 60_000 },
  ip: { prefix: 'ip', freeFailures: 100, maxBlockMs: 15 * 60_000 },
  account: { prefix: 'acct', freeFailures: 20, maxBlockMs: 60_000 },
} as const satisfies Record<string, Rule>;

/** Failures older than this no longer count. */
const windowMs = 15 * 60_000;

function keyNames(email: string, ip: string): { pair: string; ip: string; account: string } {
  const account = hashSecret(email);
  return {
    pair: `${rules.pair.prefix}:${account}:${ip}`,
    ip: `${rules.ip.prefix}:${ip}`,
    account: `${rules.account.prefix}:${account}`,
  };
}

function keysFor(email: string, ip: string): Array<[Rule, string]> {
  const names = keyNames(email, ip);
  return [
    [rules.pair, names.pair],
    [rules.ip, names.ip],
    [rules.account, names.account],
  ];
}

function blockMsFor(rule: Rule, failures: number): number {
  const over = failures - rule.freeFailures;
  return over <= 0 ? 0 : Math.min(rule.maxBlockMs, 1000 * 2 ** Math.min(over - 1, 30));
}

/** Whether a counter still counts at `now` (failures older than the window do not). */
function counts(record: ThrottleRecord | undefined, now: number): record is ThrottleRecord {
  return record !== undefined && now - record.updatedAt <= windowMs && record.failures > 0;
}

/** Milliseconds until the attempt may be made, or 0 when it may be made now. */
export async function signInBlockedFor(
  db: ThrottlesStores,
  email: string,
  ip: string,
  now: number,
): Promise<number> {
  const names = keyNames(email, ip);
  const pair = await db.throttles.find(names.pair);
  const address = await db.throttles.find(names.ip);
  // An address that has not failed for this account is not held back by what other addresses
  // did to it: a guess from there is still one Argon2 check, and makes the address unclean.
  const account = counts(pair, now) ? await db.throttles.find(names.account) : undefined;
  let wait = 0;
  for (const record of [pair, address, account]) {
    if (record !== undefined) wait = Math.max(wait, record.blockedUntil - now);
  }
  return wait;
}

export async function recordSignInFailure(
  db: ThrottlesStores,
  email: string,
  ip: string,
  now: number,
): Promise<void> {
  for (const [rule, key] of keysFor(email, ip)) {
    const record = await db.throttles.find(key);
    const failures =
      record === undefined || now - record.updatedAt > windowMs ? 1 : record.failures + 1;
    await db.throttles.save({
      key,
      failures,
      blockedUntil: now + blockMsFor(rule, failures),
      updatedAt: now,
    });
  }
}

/** What `admitSignInAttempt` answers. */
export interface SignInAdmission {
  /** 0 when the attempt was admitted; otherwise how long until one may be made, in ms. */
  readonly blockedMs: number;
  /** Ends an admitted attempt whatever its outcome (after `signInSucceeded` has committed). */
  end(): void;
}

/**
 * Attempts this process has admitted and not yet ended, per throttle key. An attempt refused
 * only because of attempts still in flight waits for them instead of being refused: a correct
 * sign-in takes its count back when it ends, so concurrent correct sign-ins (a page opened in
 * many tabs, a test suite, a benchmark) never throttle each other, while wrong guesses stay
 * counted and the waiters behind them are refused. Attempts in flight + failures therefore
 * never exceed what the rules allow, and nothing is answered before it is counted.
 */
const inFlight = new Map<string, number>();
const waiters = new Set<() => void>();
/** Bounds on waiting: it holds a request open, and an outsider chooses how many arrive. */
const maxWaiters = 1024;
const maxWaitMs = 5_000;

function occupy(keys: readonly string[]): void {
  for (const key of keys) inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
}

function release(keys: readonly string[]): void {
  for (const key of keys) {
    const count = (inFlight.get(key) ?? 0) - 1;
    if (count > 0) inFlight.set(key, count);
    else inFlight.delete(key);
  }
}

/** Only an admitted attempt ending can change a waiter's answer: a refusal wakes nobody. */
function wakeWaiters(): void {
  for (const wake of waiters) wake();
}

function nextRelease(timeoutMs: number): Promise<void> {
  return new Promise((done) => {
    const timer = setTimeout(wake, timeoutMs);
    function wake(): void {
      clearTimeout(timer);
      waiters.delete(wake);
      done();
    }
    waiters.add(wake);
  });
}

/**
 * Admits a sign-in attempt, or says how long it must wait. An admitted attempt is counted as a
 * failure at once, in the same transaction as the check: counted only after the (slow) password
 * check, any number of concurrent guesses would all pass the check before the first was counted.
 * `signInSucceeded` takes the count back.
 */
export async function admitSignInAttempt<Stores extends ThrottlesStores>(
  db: UnitOfWork<Stores>,
  email: string,
  ip: string,
  nowMs: () => number,
  /** Other writes that must commit with the admission, and only if it is admitted. */
  withAdmission: (tx: Stores) => Promise<void> = async () => {},
): Promise<SignInAdmission> {
  const keys = keysFor(email, ip).map(([, key]) => key);
  const waitUntil = performance.now() + maxWaitMs;
  for (;;) {
    let admitted = false;
    const blockedMs = await db
      .transaction(async (tx) => {
        const wait = await signInBlockedFor(tx, email, ip, nowMs());
        if (wait <= 0) {
          await recordSignInFailure(tx, email, ip, nowMs());
          await withAdmission(tx);
          // Marked inside the transaction, so an attempt checked after this one commits (they
          // are serialised) and refused sees this one in flight and waits for it.
          occupy(keys);
          admitted = true;
        }
        return wait;
      })
      .catch((error: unknown) => {
        if (admitted) release(keys);
        throw error;
      });
    if (admitted) {
      let ended = false;
      return {
        blockedMs: 0,
        end() {
          if (ended) return;
          ended = true;
          release(keys);
          wakeWaiters();
        },
      };
    }
    const remainingMs = waitUntil - performance.now();
    const othersInFlight = keys.some((key) => inFlight.has(key));
    if (!othersInFlight || remainingMs <= 0 || waiters.size >= maxWaiters) {
      return { blockedMs, end() {} };
    }
    await nextRelease(remainingMs);
  }
}

/**
 * After an admitted attempt proved the password right: the address's record for this account is
 * cleared (it is clean again), and the account-wide and address counters keep every failure but
 * this attempt. The account-wide counter is not cleared: it holds other addresses' guesses, and
 * the owner no longer needs it cleared to get in.
 */
export async function signInSucceeded(
  db: ThrottlesStores,
  email: string,
  ip: string,
): Promise<void> {
  await recordSignInSuccess(db, email, ip);
  for (const [rule, key] of keysFor(email, ip)) {
    if (rule === rules.pair) continue;
    const record = await db.throttles.find(key);
    if (record === undefined) continue;
    const failures = Math.max(0, record.failures - 1);
    await db.throttles.save({
      ...record,
      failures,
      blockedUntil: record.updatedAt + blockMsFor(rule, failures),
    });
  }
}

/**
 * Forgets counters that no longer count (older than the window) and block nothing: otherwise an
 * attacker typing endless made-up addresses would grow the table without bound.
 */
export function pruneSignInThrottles(
  db: UnitOfWork<ThrottlesStores>,
  now: number,
): Promise<number> {
  return deleteInBatches(db, (tx, limit) => tx.throttles.prune(now - windowMs, now, limit));
}

/** A correct password makes the address's record for the account clean again. */
export async function recordSignInSuccess(
  db: ThrottlesStores,
  email: string,
  ip: string,
): Promise<void> {
  for (const [rule, key] of keysFor(email, ip)) {
    if (rule === rules.pair) await db.throttles.delete(key);
  }
}
