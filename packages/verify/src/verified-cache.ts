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
 * been computed. Bounded, least recently used out first; an entry is dropped once its token
 * expired.
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
    this.#slots.delete(key);
    if (slot.entry.expiresAtMs <= nowMs) return undefined;
    this.#slots.set(key, slot);
    return slot.entry;
  }

  set(token: string, entry: VerifiedEntry): void {
    if (this.#maxEntries === 0) return;
    const key = token.slice(-slotKeyLength);
    this.#slots.delete(key);
    if (this.#slots.size >= this.#maxEntries) {
      const oldest = this.#slots.keys().next();
      if (oldest.done !== true) this.#slots.delete(oldest.value);
    }
    this.#slots.set(key, { token, entry });
  }

  clear(): void {
    this.#slots.clear();
  }
}
