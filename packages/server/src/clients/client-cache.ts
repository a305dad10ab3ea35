import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ClientsStores } from './clients-store.ts';
import type { StoredClient } from './stored-client.ts';

/**
 * Client lookups held in memory for a few seconds, so the token endpoint does not read the
 * client's row on every request.
 *
 * - Bounded: at most `maxEntries` (LRU), whatever ids outsiders present.
 * - Short-lived: an entry is dropped `ttlMs` after its read started (the read's snapshot can be
 *   no older). That is how long a change made by another instance (or straight in the database)
 *   can take to be seen here; a disable covers that (and more, `clientStalenessCoverMs`).
 * - Invalidated in-process: every flow of this module that changes a client (disable, secret
 *   rotation, JWKS replacement) calls `forget` before and after its write, so on this instance
 *   the change holds from the next request on. A read that started before an invalidation never
 *   stores its (possibly older) answer: the generation it started under has moved on.
 * - Negative answers are cached exactly like positive ones, in the same LRU: an unknown id
 *   answers from memory as a registered one does, and neither can be evicted without the other,
 *   so asking twice does not tell a registered id from an unknown one (authenticateClient keeps
 *   its decoy hash and compare either way).
 *
 * Entries belong to the unit of work they were read through (one service's database); a
 * transaction's stores are never cached, since they must see that transaction's own writes.
 */
export interface ClientCacheOptions {
  readonly maxEntries?: number;
  readonly ttlMs?: number;
  /** A monotonic clock in ms: the TTL is an operational bound, not a time in the domain. */
  readonly now?: () => number;
}

interface Entry {
  readonly owner: object;
  readonly stored: StoredClient | undefined;
  readonly expiresAtMs: number;
}

export const defaultClientCacheEntries = 1000;
export const defaultClientCacheTtlMs = 5000;

/**
 * How long after a disable commits a token may still be issued from an entry that says the
 * client is live (another instance's, read just before the commit): the process cache's TTL,
 * plus 25 s for instances whose clocks disagree (a token's `iat` is the minting instance's
 * time) and for a request delayed between its check and its token's time. Disabling revokes
 * the client's tokens issued up to this long after it (disable-client.ts).
 */
export const clientStalenessCoverMs = defaultClientCacheTtlMs + 25_000;

export class ClientCache {
  readonly #entries = new Map<string, Entry>();
  readonly #maxEntries: number;
  readonly #ttlMs: number;
  readonly #now: () => number;
  /** Moves on at every invalidation; a read stores its answer only if it has not moved. */
  #generation = 0;

  constructor(options: ClientCacheOptions = {}) {
    this.#maxEntries = options.maxEntries ?? defaultClientCacheEntries;
    this.#ttlMs = options.ttlMs ?? defaultClientCacheTtlMs;
    this.#now = options.now ?? (() => performance.now());
    if (!Number.isInteger(this.#maxEntries) || this.#maxEntries < 1) {
      throw new RangeError('maxEntries must be a positive integer');
    }
  }

  /** The client with that id as `load` reads it, from memory when a live entry holds it. */
  async read(
    owner: object,
    clientId: string,
    load: () => Promise<StoredClient | undefined>,
  ): Promise<StoredClient | undefined> {
    const entry = this.#entries.get(clientId);
    if (entry !== undefined && entry.owner === owner && entry.expiresAtMs > this.#now()) {
      // Most recently used last: the Map's insertion order is the LRU order.
      this.#entries.delete(clientId);
      this.#entries.set(clientId, entry);
      return entry.stored;
    }
    const generation = this.#generation;
    const startedMs = this.#now();
    const stored = await load();
    if (generation === this.#generation) {
      this.#entries.delete(clientId);
      this.#entries.set(clientId, { owner, stored, expiresAtMs: startedMs + this.#ttlMs });
      if (this.#entries.size > this.#maxEntries) {
        const oldest = this.#entries.keys().next();
        if (oldest.done !== true) this.#entries.delete(oldest.value);
      }
    }
    return stored;
  }

  /** Drops what is held for `clientId`, and keeps reads already under way from storing theirs. */
  forget(clientId: string): void {
    this.#entries.delete(clientId);
    this.#generation += 1;
  }

  get size(): number {
    return this.#entries.size;
  }
}

/** The process's cache: one service per process in production; ids are unique per service. */
const clientCache = new ClientCache();

function isUnitOfWork(db: ClientsStores): db is UnitOfWork<ClientsStores> {
  return typeof (db as Partial<UnitOfWork<ClientsStores>>).transaction === 'function';
}

/**
 * `clients.findForAuthentication` through the cache: the client, disabled or not, or undefined.
 * Inside a transaction (stores without `transaction`) the row is read, never cached.
 */
export function findClientCached(
  db: ClientsStores,
  clientId: string,
): Promise<StoredClient | undefined> {
  if (!isUnitOfWork(db)) return db.clients.findForAuthentication(clientId);
  return clientCache.read(db, clientId, () => db.clients.findForAuthentication(clientId));
}

/**
 * Called by every flow that changes a client, before its write and again once it has committed
 * (a flow whose write runs inside a caller's transaction: the caller calls it after the commit).
 */
export function forgetCachedClient(clientId: string): void {
  clientCache.forget(clientId);
}
