import type { AccessTokenClaims, JoseHeader } from '@writ/core';

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
 * Characters of the signature that find a slot: 192 bits of it for every algorithm Writ accepts,
 * so two tokens share a slot key only if they share those bits — and even then the full
 * comparison below tells them apart.
 */
const slotKeyLength = 32;

/**
 * Tokens whose signature has already been checked. A hit means the exact token string was
 * verified before: a slot is found by the token's last characters (part of its signature) and
 * then the whole token is compared. Hashing 32 characters instead of the whole ~500-character
 * token matters, because every request brings its token as a fresh string whose hash has never
 * been computed.
 *
 * Bounded, evicting by second chance (CLOCK): a hit only marks its slot, and eviction walks from
 * the oldest slot, dropping the first that is expired or unmarked and moving marked ones to the
 * back. That keeps recently used tokens like LRU does, without moving the slot on every hit —
 * which, on a busy server, cost more than the rest of the lookup.
 */
export class VerifiedTokenCache {
  readonly #slots = new Map<string, Slot>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#slots.size;
  }

  get(token: string, nowMs: number): VerifiedEntry | undefined {
    const key = token.slice(-slotKeyLength);
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
    const key = token.slice(-slotKeyLength);
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
