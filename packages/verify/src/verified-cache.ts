import type { AccessTokenClaims, JoseHeader } from '@writ/core';
import { sextet } from './base64url.ts';

export interface VerifiedEntry {
  readonly header: JoseHeader;
  readonly claims: AccessTokenClaims;
  /** When the token expires (ms); the entry is useless after that whatever the tolerance. */
  readonly expiresAtMs: number;
}

interface Slot {
  readonly token: string;
  readonly entry: VerifiedEntry;
  /** Hit since eviction last passed over this slot: it gets a second chance. */
  used: boolean;
}

/**
 * The slot of a token: 30 bits of its signature, read from the five characters before the last
 * (the last one holds only 2–4 bits for the signatures Writ accepts), as a small integer. A Map
 * finds an integer without hashing a string and without cutting one out of the token: on a busy
 * server that was most of a cache hit (a 32-character key cost ~0.3 µs more per lookup, since
 * every request brings its token as a fresh string whose hash was never computed). Two live
 * tokens share a slot with odds of about n²/2³¹ among n cached ones; they then take turns in it,
 * and neither is ever answered for the other, since a hit compares the whole token. Characters
 * outside base64url (or a string shorter than six) read as some six bits: such a string finds at
 * most a slot holding another token, which the comparison refuses.
 */
function slotKey(token: string): number {
  const end = token.length - 1;
  return (
    bitsAt(token, end - 1) |
    (bitsAt(token, end - 2) << 6) |
    (bitsAt(token, end - 3) << 12) |
    (bitsAt(token, end - 4) << 18) |
    (bitsAt(token, end - 5) << 24)
  );
}

/** The six bits of the base64url character at `index`; outside the alphabet or the string, 63. */
function bitsAt(token: string, index: number): number {
  return (sextet[token.charCodeAt(index) & 0x7f] ?? 0) & 0x3f;
}

/**
 * Tokens whose signature has already been checked. A hit means the exact token string was
 * verified before: a slot is found by part of the token's signature (`slotKey`), and then the
 * whole token is compared.
 *
 * Bounded, evicting by second chance (CLOCK): a hit only marks its slot, and eviction walks from
 * the oldest slot, dropping the first that is expired or unmarked and moving marked ones to the
 * back. That keeps recently used tokens like LRU does, without moving the slot on every hit —
 * which, on a busy server, cost more than the rest of the lookup.
 */
export class VerifiedTokenCache {
  readonly #slots = new Map<number, Slot>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(token: string, nowMs: number): VerifiedEntry | undefined {
    const key = slotKey(token);
    const slot = this.#slots.get(key);
    if (slot === undefined || slot.token !== token) return undefined;
    if (slot.entry.expiresAtMs <= nowMs) {
      this.#slots.delete(key);
      return undefined;
    }
    slot.used = true;
    return slot.entry;
  }

  set(token: string, entry: VerifiedEntry, nowMs: number): void {
    if (this.#maxEntries === 0) return;
    const key = slotKey(token);
    this.#slots.delete(key);
    while (this.#slots.size >= this.#maxEntries) this.#evictOne(nowMs);
    this.#slots.set(key, { token, entry, used: false });
  }

  clear(): void {
    this.#slots.clear();
  }

  #evictOne(nowMs: number): void {
    // Re-inserted slots come round again in this same walk, unmarked: it always ends.
    for (const [key, slot] of this.#slots) {
      this.#slots.delete(key);
      if (!slot.used || slot.entry.expiresAtMs <= nowMs) return;
      slot.used = false;
      this.#slots.set(key, slot);
    }
  }
}
