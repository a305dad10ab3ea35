import { ConfigurationError } from '@writ/core';

/** What `claim` found: a proof seen for the first time, one seen before, or no room to remember it. */
export type ReplayClaim = 'fresh' | 'replayed' | 'full';

/**
 * Remembers the `jti` of every accepted DPoP proof for as long as that proof could be accepted,
 * so a captured proof cannot be sent again (RFC 9449 §11.1). In memory, per process: several
 * instances behind a load balancer each keep their own (see docs/dpop.md).
 */
export interface DpopReplayCache {
  /**
   * Records `key` until `expiresAtMs`, unless it is already there. Entries past their time are
   * forgotten first; when the cache is still full the new proof is refused (`full`) rather than
   * a live entry forgotten, since forgetting one would let that proof be replayed.
   */
  claim(key: string, expiresAtMs: number, nowMs: number): ReplayClaim;
  /** Entries held (live ones, and expired ones not yet forgotten), for tests and metrics. */
  readonly size: number;
}

export interface DpopReplayCacheOptions {
  /** Most proofs remembered at once: 1 to 10 000 000. Default 100 000 (a few MB). */
  readonly maxEntries?: number;
}

/**
 * A bounded replay cache. Every caller gives entries the same lifetime after `nowMs`, so insertion
 * order is expiry order and forgetting expired entries is a walk from the oldest that stops at the
 * first live one: O(1) amortised per claim, with no timer.
 */
export function createDpopReplayCache(options: DpopReplayCacheOptions = {}): DpopReplayCache {
  const maxEntries = options.maxEntries ?? 100_000;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > 10_000_000) {
    throw new ConfigurationError('maxEntries must be an integer from 1 to 10000000');
  }
  const entries = new Map<string, number>();

  /** Forgets expired entries from the oldest on, at most `limit` of them. */
  const forgetExpired = (nowMs: number, limit: number): void => {
    let forgotten = 0;
    for (const [key, expiresAtMs] of entries) {
      if (expiresAtMs > nowMs || forgotten === limit) return;
      entries.delete(key);
      forgotten++;
    }
  };

  return {
    claim(key, expiresAtMs, nowMs) {
      const known = entries.get(key);
      if (known !== undefined && known > nowMs) return 'replayed';
      if (known !== undefined) entries.delete(key);
      // A little housekeeping on every claim keeps memory near the live set without a timer.
      forgetExpired(nowMs, 2);
      if (entries.size >= maxEntries) {
        forgetExpired(nowMs, Number.POSITIVE_INFINITY);
        if (entries.size >= maxEntries) return 'full';
      }
      entries.set(key, expiresAtMs);
      return 'fresh';
    },
    get size() {
      return entries.size;
    },
  };
}
