import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { cacheKeyOf, ExchangeCache } from '../src/phantom/exchange-cache.ts';
import { clientSecretBasic } from '../src/phantom/introspection-request.ts';
import { isOpaqueAccessToken } from '../src/phantom/opaque-token.ts';

const entry = (name: string, keepUntilMs = 10_000) => ({ accessToken: name, keepUntilMs });

describe('the exchange cache', () => {
  it('evicts the least recently used entry when full', () => {
    const cache = new ExchangeCache(3);
    cache.set('a', entry('A'), 0);
    cache.set('b', entry('B'), 0);
    cache.set('c', entry('C'), 0);
    expect(cache.get('a', 1)?.accessToken).toBe('A'); // a is now the most recent
    cache.set('d', entry('D'), 1);
    expect(cache.size).toBe(3);
    expect(cache.get('b', 2)).toBeUndefined();
    expect(['a', 'c', 'd'].map((key) => cache.get(key, 2)?.accessToken)).toEqual(['A', 'C', 'D']);
  });

  it('drops an expired entry before a live one', () => {
    const cache = new ExchangeCache(3);
    cache.set('old', entry('OLD'), 0);
    cache.set('short', entry('SHORT', 50), 0);
    cache.set('new', entry('NEW'), 0);
    cache.set('next', entry('NEXT'), 100);
    expect(cache.get('old', 100)?.accessToken).toBe('OLD');
    expect(cache.get('short', 100)).toBeUndefined();
  });

  it('never answers with an entry past its keepUntilMs, and forgets it', () => {
    const cache = new ExchangeCache(10);
    cache.set('a', entry('A', 100), 0);
    expect(cache.get('a', 99)?.accessToken).toBe('A');
    expect(cache.get('a', 100)).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds nothing with size 0 and refuses an already expired entry', () => {
    const none = new ExchangeCache(0);
    none.set('a', entry('A'), 0);
    expect(none.size).toBe(0);
    const cache = new ExchangeCache(10);
    cache.set('a', entry('A', 100), 100);
    expect(cache.size).toBe(0);
  });

  it('stays bounded under many distinct tokens', () => {
    const cache = new ExchangeCache(100);
    for (let i = 0; i < 10_000; i++) cache.set(cacheKeyOf(`wat_${i}`), entry(String(i)), 0);
    expect(cache.size).toBe(100);
    expect(cache.get(cacheKeyOf('wat_9999'), 1)?.accessToken).toBe('9999');
  });

  it('keys by a SHA-256 digest that does not contain the token', () => {
    const opaque = `wat_${randomBytes(32).toString('base64url')}`;
    const key = cacheKeyOf(opaque);
    expect(key).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(key).not.toContain(opaque.slice(4, 20));
  });
});

describe('the opaque token shape', () => {
  it('is wat_ + 43 canonical base64url characters, nothing else', () => {
    const valid = `wat_${randomBytes(32).toString('base64url')}`;
    expect(isOpaqueAccessToken(valid)).toBe(true);
    for (const invalid of [
      valid.slice(0, -1),
      `${valid}A`,
      `WAT_${valid.slice(4)}`,
      `wat-${valid.slice(4)}`,
      `${valid.slice(0, -1)}=`,
      `${valid.slice(0, 10)}.${valid.slice(11)}`,
      `wat_${'A'.repeat(42)}B`, // spare bits set in the last character
    ]) {
      expect(isOpaqueAccessToken(invalid), invalid).toBe(false);
    }
  });
});

describe('client_secret_basic', () => {
  it('form-encodes id and secret before base64 (RFC 6749 §2.3.1)', () => {
    const header = clientSecretBasic('wc_a:b', 'p@ss wörd+&=');
    const decoded = Buffer.from(header.slice('Basic '.length), 'base64').toString();
    expect(decoded).toBe('wc_a%3Ab:p%40ss+w%C3%B6rd%2B%26%3D');
  });
});
