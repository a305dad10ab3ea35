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
    const over = failures - rule.freeFailures;
    const blockMs = over <= 0 ? 0 : Math.min(rule.maxBlockMs, 1000 * 2 ** Math.min(over - 1, 30));
    await storage.saveThrottle({ key, failures, blockedUntil: now + blockMs, updatedAt: now });
  }
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
