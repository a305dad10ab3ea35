import type { AccessTokenClaims } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { type VerifiedEntry, VerifiedTokenCache } from '../src/verified-cache.ts';

const nowMs = 1_800_000_000_000;

/**
 * A token-like string whose slot (five characters before the last) differs per name of up to
 * five characters.
 */
const token = (name: string, last = 'A'): string =>
  `eyJhbGciOiJFZERTQSJ9.eyJzdWIiOiJ4In0.${name.padStart(63, '_')}${last}`;

const entry = (expiresAtMs = nowMs + 60_000): VerifiedEntry => ({
  header: { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' },
  claims: { sub: 'usr_1' } as AccessTokenClaims,
  expiresAtMs,
});

describe('VerifiedTokenCache', () => {
  it('never holds more than its bound', () => {
    const cache = new VerifiedTokenCache(50);
    for (let i = 0; i < 500; i++) cache.set(token(`t${i}`), entry(), nowMs);
    expect(cache.size).toBe(50);
    expect(cache.get(token('t499'), nowMs)).toBeDefined();
    expect(cache.get(token('t0'), nowMs)).toBeUndefined();
  });

  it('keeps a token that was used since it went in, and evicts the oldest unused one', () => {
    const cache = new VerifiedTokenCache(3);
    cache.set(token('a'), entry(), nowMs);
    cache.set(token('b'), entry(), nowMs);
    cache.set(token('c'), entry(), nowMs);
    expect(cache.get(token('a'), nowMs)).toBeDefined();
    cache.set(token('d'), entry(), nowMs);
    expect(cache.get(token('a'), nowMs)).toBeDefined();
    expect(cache.get(token('b'), nowMs)).toBeUndefined();
    expect(cache.get(token('c'), nowMs)).toBeDefined();
    expect(cache.get(token('d'), nowMs)).toBeDefined();
  });

  it('evicts the oldest when every token was used, and still ends', () => {
    const cache = new VerifiedTokenCache(3);
    for (const name of ['a', 'b', 'c']) cache.set(token(name), entry(), nowMs);
    for (const name of ['a', 'b', 'c']) cache.get(token(name), nowMs);
    cache.set(token('d'), entry(), nowMs);
    expect(cache.size).toBe(3);
    expect(cache.get(token('a'), nowMs)).toBeUndefined();
    expect(cache.get(token('d'), nowMs)).toBeDefined();
  });

  it('evicts an expired token before a live one, even a used one', () => {
    const cache = new VerifiedTokenCache(3);
    cache.set(token('a'), entry(), nowMs);
    cache.set(token('short'), entry(nowMs + 1_000), nowMs);
    cache.set(token('c'), entry(), nowMs);
    for (const name of ['a', 'short', 'c']) cache.get(token(name), nowMs);
    cache.set(token('d'), entry(), nowMs + 2_000);
    expect(cache.get(token('short'), nowMs)).toBeUndefined();
    expect(cache.get(token('a'), nowMs + 2_000)).toBeDefined();
    expect(cache.get(token('c'), nowMs + 2_000)).toBeDefined();
  });

  it('never answers for an expired token, and forgets it', () => {
    const cache = new VerifiedTokenCache(3);
    cache.set(token('a'), entry(nowMs + 1_000), nowMs);
    expect(cache.get(token('a'), nowMs + 1_000)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('answers only for the exact token, not another with the same last characters', () => {
    const cache = new VerifiedTokenCache(3);
    const original = token('a');
    cache.set(original, entry(), nowMs);
    const lookalike = `x${original.slice(1)}`;
    expect(cache.get(lookalike, nowMs)).toBeUndefined();
    expect(cache.get(original, nowMs)).toBeDefined();
  });

  it('lets two tokens that share a slot take turns in it, never answering for the other', () => {
    const cache = new VerifiedTokenCache(3);
    // Same five characters before the last: same slot, different tokens.
    const first = token('a', 'A');
    const second = token('a', 'Q');
    cache.set(first, entry(), nowMs);
    expect(cache.get(second, nowMs)).toBeUndefined();
    cache.set(second, entry(nowMs + 5_000), nowMs);
    expect(cache.size).toBe(1);
    expect(cache.get(first, nowMs)).toBeUndefined();
    expect(cache.get(second, nowMs)?.expiresAtMs).toBe(nowMs + 5_000);
  });

  it('finds nothing, and throws nothing, for strings too short or outside base64url', () => {
    const cache = new VerifiedTokenCache(3);
    cache.set(token('a'), entry(), nowMs);
    for (const odd of [
      '',
      'a',
      'abcde',
      '\u{1F600}\u{1F600}\u{1F600}',
      'ÿÿÿÿÿÿÿ',
      token('a').replace(/.$/, '\u0100'),
    ]) {
      expect(cache.get(odd, nowMs)).toBeUndefined();
    }
    expect(cache.get(token('a'), nowMs)).toBeDefined();
  });

  it('stores nothing when its bound is 0', () => {
    const cache = new VerifiedTokenCache(0);
    cache.set(token('a'), entry(), nowMs);
    expect(cache.size).toBe(0);
    expect(cache.get(token('a'), nowMs)).toBeUndefined();
  });
});
