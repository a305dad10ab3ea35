import { describe, expect, it } from 'vitest';
import { BoundedMemo } from '../src/bounded-memo.ts';

describe('BoundedMemo', () => {
  it('answers what was put for the exact key, and nothing for any other', () => {
    const memo = new BoundedMemo<number>(4);
    memo.set('eyJhbGciOiJFZERTQSJ9', 1);
    expect(memo.get('eyJhbGciOiJFZERTQSJ9')).toBe(1);
    expect(memo.get('eyJhbGciOiJFZERTQSJ')).toBeUndefined();
    expect(memo.get('EYJHBGCIOIJFZERTQSJ9')).toBeUndefined();
  });

  it('never holds more than its limit: a full memo starts over', () => {
    const memo = new BoundedMemo<number>(3);
    for (let index = 0; index < 3; index++) memo.set(`key-${index}`, index);
    expect(memo.get('key-2')).toBe(2);
    memo.set('key-3', 3);
    expect(memo.get('key-0')).toBeUndefined();
    expect(memo.get('key-2')).toBeUndefined();
    expect(memo.get('key-3')).toBe(3);
    for (let index = 0; index < 10_000; index++) memo.set(`spray-${index}`, index);
    const held = Array.from({ length: 10_000 }, (_, index) => memo.get(`spray-${index}`)).filter(
      (value) => value !== undefined,
    );
    expect(held.length).toBeLessThanOrEqual(3);
  });
});
