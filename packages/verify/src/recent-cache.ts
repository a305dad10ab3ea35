/**
 * A bounded map of what was computed recently from an exact string, for values that depend on
 * that string alone (a checked header, a parsed `scope`): when full, the oldest entry goes first,
 * so a stream of distinct keys costs a lookup each, never memory.
 */
export class RecentCache<V> {
  readonly #entries = new Map<string, V>();
  readonly #maxEntries: number;

  constructor(maxEntries: number) {
    this.#maxEntries = maxEntries;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.#maxEntries === 0) return;
    if (this.#entries.size >= this.#maxEntries) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, value);
  }
}
