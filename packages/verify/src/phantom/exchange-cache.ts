import { hash } from 'node:crypto';

/** What one exchange produced, kept until the access token expires (or sooner, see `keepUntilMs`). */
export interface CachedExchange {
  /** The at+jwt the opaque token stands for. */
  readonly accessToken: string;
  /** Drop the entry from this time on (ms): the token's `exp`, or earlier under `maxCacheAgeSec`. */
  readonly keepUntilMs: number;
}

/**
 * The key an opaque token is remembered under: its SHA-256. The cache never holds the opaque token
 * itself, so a heap dump or a debugger attached to the gateway yields no bearer credential a
 * client could present again (the access tokens it holds are only good behind the gateway's own
 * audience checks upstream). The service stores the same digest, for the same reason.
 */
export function cacheKeyOf(opaqueToken: string): string {
  // The one-shot form: half the cost of createHash().update().digest() per request.
  return hash('sha256', opaqueToken, 'base64url');
}

/**
 * Opaque token digest → exchange result, bounded, least recently used out first. A hit moves the
 * entry to the back of the Map's insertion order; the first entry is the least recently used.
 * Expired entries are dropped when met and before anything live is evicted.
 */
export class ExchangeCache {
  readonly #entries = new Map<string, CachedExchange>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string, nowMs: number): CachedExchange | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.keepUntilMs <= nowMs) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  set(key: string, entry: CachedExchange, nowMs: number): void {
    if (this.#maxEntries === 0 || entry.keepUntilMs <= nowMs) return;
    this.#entries.delete(key);
    if (this.#entries.size >= this.#maxEntries) this.#evict(nowMs);
    this.#entries.set(key, entry);
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * Makes room for one entry: the oldest expired one among the first few, else the least recently
   * used. Looking at a bounded prefix keeps a full cache's insert O(1).
   */
  #evict(nowMs: number): void {
    let looked = 0;
    for (const [key, entry] of this.#entries) {
      if (entry.keepUntilMs <= nowMs) {
        this.#entries.delete(key);
        return;
      }
      if (++looked === 8) break;
    }
    const oldest = this.#entries.keys().next();
    if (oldest.done !== true) this.#entries.delete(oldest.value);
  }
}
