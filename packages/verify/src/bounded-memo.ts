/**
 * What a pure function gave for an exact string, kept for the next token that carries the same
 * string: most tokens a verifier sees share a handful of protected headers (one per key) and of
 * `scope` values. Only values made from a token whose signature held are put here, so a stranger
 * cannot fill it; and since it holds at most `limit` entries and starts over when full, a stream
 * of distinct values (many keys, many scope sets) costs a lookup each, never memory.
 */
export class BoundedMemo<V> {
  readonly #entries = new Map<string, V>();
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  get(key: string): V | undefined {
    return this.#entries.get(key);
  }

  set(key: string, value: V): void {
    if (this.#entries.size >= this.#limit) this.#entries.clear();
    this.#entries.set(key, value);
  }
}
