import { describe, expect, it } from 'vitest';
import { RecentCache } from '../src/recent-cache.ts';

describe('RecentCache', () => {
  it('answers what was put for the exact key, and nothing for any other', () => {
    const cache = new RecentCache<number>(4);
    cache.set('eyJhbGciOiJFZERTQSJ9', 1);
    expect(cache.get('eyJhbGciOiJFZERTQSJ9')).toBe(1);
    expect(cache.get('eyJhbGciOiJFZERTQSJ')).toBeUndefined();
    expect(cache.get('EYJHBGCIOIJFZERTQSJ9')).toBeUndefined();
  });

  it('never holds more than its limit: the oldest entry goes first', () => {
    const cache = new RecentCache<number>(3);
    for (let index = 0; index < 3; index++) cache.set(`key-${index}`, index);
    cache.set('key-3', 3);
    expect(cache.get('key-0')).toBeUndefined();
    expect([1, 2, 3].map((index) => cache.get(`key-${index}`))).toEqual([1, 2, 3]);
    for (let index = 0; index < 10_000; index++) cache.set(`spray-${index}`, index);
    const held = Array.from({ length: 10_000 }, (_, index) => cache.get(`spray-${index}`)).filter(
      (value) => value !== undefined,
    );
    expect(held).toEqual([9_997, 9_998, 9_999]);
  });

  it('holds nothing when its limit is zero', () => {
    const cache = new RecentCache<number>(0);
    cache.set('key', 1);
    expect(cache.get('key')).toBeUndefined();
  });
});
