/** A decoded JSON object from a token: untrusted, so read only through `own`. */
export type JsonObject = Readonly<Record<string, unknown>>;

export function isJsonObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * A member the token itself set. Plain property access would also find inherited members
 * (`constructor`, `toString`), which a token never set.
 */
export function own(record: JsonObject, name: string): unknown {
  return Object.hasOwn(record, name) ? record[name] : undefined;
}

export function has(record: JsonObject, name: string): boolean {
  return Object.hasOwn(record, name);
}

/** A NumericDate a verifier can compare: a finite number (`1e400` parses to Infinity). */
export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}
