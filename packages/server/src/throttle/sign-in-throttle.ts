import { hashSecret } from '../crypto/random.ts';
import type { Storage } from '../storage/storage.ts';

/**
 * Sign-in throttling with exponential backoff, on three keys:
 * - account + IP: the guessing attacker at one address (5 free failures, then up to 15 min);
 * - IP: one address spraying many accounts (100 free failures, then up to 15 min);
 * - account alone: guesses spread over many addresses (20 free failures, then at most 60 s).
 * The account-wide block is capped low on purpose: it is the one an attacker could aim at a
 * victim, so it can delay them by a minute at worst, never lock them out.
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

function keysFor(email: string, ip: string): Array<[Rule, string]> {
  const account = hashSecret(email);
  return [
    [rules.pair, `${rules.pair.prefix}:${account}:${ip}`],
    [rules.ip, `${rules.ip.prefix}:${ip}`],
    [rules.account, `${rules.account.prefix}:${account}`],
  ];
}

function blockMsFor(rule: Rule, failures: number): number {
  const over = failures - rule.freeFailures;
  return over <= 0 ? 0 : Math.min(rule.maxBlockMs, 1000 * 2 ** Math.min(over - 1, 30));
}

/** Milliseconds until the attempt may be made, or 0 when it may be made now. */
export async function signInBlockedFor(
  storage: Storage,
  email: string,
  ip: string,
  now: number,
): Promise<number> {
  let wait = 0;
  for (const [, key] of keysFor(email, ip)) {
    const record = await storage.findThrottle(key);
    if (record !== undefined) wait = Math.max(wait, record.blockedUntil - now);
  }
  return wait;
}

export async function recordSignInFailure(
  storage: Storage,
  email: string,
  ip: string,
  now: number,
): Promise<void> {
  for (const [rule, key] of keysFor(email, ip)) {
    const record = await storage.findThrottle(key);
    const failures =
      record === undefined || now - record.updatedAt > windowMs ? 1 : record.failures + 1;
    await storage.saveThrottle({
      key,
      failures,
      blockedUntil: now + blockMsFor(rule, failures),
      updatedAt: now,
    });
  }
}

/**
 * Admits a sign-in attempt, or says how long it must wait. An admitted attempt is counted as a
 * failure at once, in the same transaction as the check: counted only after the (slow) password
 * check, any number of concurrent guesses would all pass the check before the first was counted.
 * `signInSucceeded` takes the count back.
 */
export function admitSignInAttempt(
  storage: Storage,
  email: string,
  ip: string,
  now: number,
): Promise<number> {
  return storage.transaction(async (tx) => {
    const wait = await signInBlockedFor(tx, email, ip, now);
    if (wait <= 0) await recordSignInFailure(tx, email, ip, now);
    return wait;
  });
}

/**
 * After an admitted attempt proved the password right: the account's counters are cleared, and
 * the address's keeps every failure but this attempt.
 */
export async function signInSucceeded(storage: Storage, email: string, ip: string): Promise<void> {
  await recordSignInSuccess(storage, email, ip);
  const [rule, key] = keysFor(email, ip).find(([candidate]) => candidate === rules.ip) ?? [];
  if (rule === undefined || key === undefined) return;
  const record = await storage.findThrottle(key);
  if (record === undefined) return;
  const failures = Math.max(0, record.failures - 1);
  await storage.saveThrottle({
    ...record,
    failures,
    blockedUntil: record.updatedAt + blockMsFor(rule, failures),
  });
}

/**
 * Forgets counters that no longer count (older than the window) and block nothing: otherwise an
 * attacker typing endless made-up addresses would grow the table without bound.
 */
export function pruneSignInThrottles(storage: Storage, now: number): Promise<number> {
  return storage.pruneThrottles(now - windowMs, now);
}

/** A correct password clears the account's own counters; the IP's stays (it may be spraying). */
export async function recordSignInSuccess(
  storage: Storage,
  email: string,
  ip: string,
): Promise<void> {
  for (const [rule, key] of keysFor(email, ip)) {
    if (rule !== rules.ip) await storage.deleteThrottle(key);
  }
}
