import type { AccessTokenClaims, JoseHeader } from '@writ/core';

export interface VerifiedEntry {
  readonly header: JoseHeader;
  readonly claims: AccessTokenClaims;
  /** When the token expires (ms); the entry is useless after that whatever the tolerance. */
  readonly expiresAtMs: number;
}

/**
 * Tokens whose signature has already been checked, keyed by the whole token string, so a hit
 * means the exact bytes were verified before. Bounded, least recently used out first; an entry
 * is dropped once its token has expired.
 */
export class VerifiedTokenCache {
  readonly #entries = new Map<string, VerifiedEntry>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get size(): number {
    return this.#entries.size;
  }

  get(token: string, nowMs: number): VerifiedEntry | undefined {
    const entry = this.#entries.get(token);
    if (entry === undefined) return undefined;
    this.#entries.delete(token);
    if (entry.expiresAtMs <= nowMs) return undefined;
    this.#entries.set(token, entry);
    return entry;
  }

  set(token: string, entry: VerifiedEntry): void {
    if (this.#maxEntries === 0) return;
    this.#entries.delete(token);
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(token, entry);
  }

  clear(): void {
    this.#entries.clear();
  }
}
