/**
 * A `Set` that refuses to change once made. `Object.freeze` does not stop `Set.prototype.add`,
 * and a verified token's `scopes` are shared by every request that presents a token with the
 * same `scope` (create-verifier.ts's memo, the verified cache): a consumer that wrote to them,
 * even by mistake through a cast, would grant scopes to other callers' requests.
 */
export class FrozenSet<T> extends Set<T> {
  constructor(values: Iterable<T>) {
    super();
    // Through the prototype: this class's own `add` refuses, from the first call on.
    for (const value of values) Set.prototype.add.call(this, value);
    Object.freeze(this);
  }

  override add(_value: T): this {
    throw new TypeError('a verified token’s scopes cannot be changed');
  }

  override delete(_value: T): boolean {
    throw new TypeError('a verified token’s scopes cannot be changed');
  }

  override clear(): void {
    throw new TypeError('a verified token’s scopes cannot be changed');
  }
}
