/**
 * Characters JSON.stringify leaves alone but a terminal acts on or hides: DEL and C1 controls
 * (U+009B starts an escape sequence on some terminals), line/paragraph separators, zero-width
 * and bidirectional controls (which can make a claim read as something else). Token content is
 * attacker-written, so it never reaches the terminal raw.
 */
const unsafe = /[\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/g;

/** Escapes what `unsafe` matches as `\uXXXX`; safe inside JSON strings, where it means the same. */
export function escapeUnsafe(text: string): string {
  return text.replace(unsafe, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value from the token as one line of JSON-like text, safe to print. */
export function show(value: unknown): string {
  if (typeof value === 'number' && !Number.isFinite(value)) return String(value);
  if (value === undefined) return 'undefined';
  return escapeUnsafe(JSON.stringify(value, nonFiniteAsText) ?? String(value));
}

/** A member name from the token: bare when it is plainly an identifier, quoted otherwise. */
export function showName(name: string): string {
  return /^[A-Za-z0-9_.:+-]{1,64}$/.test(name) ? name : show(name);
}

/** JSON has no Infinity (`1e400` parses to it); writing `null` would hide the problem. */
export function nonFiniteAsText(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}
