import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  hashSecret,
  randomId,
  randomSecret,
  randomTokenId,
} from '../src/platform/crypto/random.ts';

const bytesOf = (encoded: string) => Buffer.from(encoded, 'base64url');

describe('random identifiers and secrets (drawn from a pool)', () => {
  it('are the right width, distinct, and never the zeroed bytes of a spent slice', () => {
    // Far more than one 4 KiB pool holds, so refills and slices that straddle them are crossed.
    const seen = new Set<string>();
    const zero16 = Buffer.alloc(16);
    const zero32 = Buffer.alloc(32);
    for (let i = 0; i < 3000; i++) {
      const jti = randomTokenId();
      const secret = randomSecret('wrt_');
      const id = randomId('ses');
      expect(bytesOf(jti)).toHaveLength(16);
      expect(secret.startsWith('wrt_')).toBe(true);
      expect(bytesOf(secret.slice(4))).toHaveLength(32);
      expect(id).toMatch(/^ses_[A-Za-z0-9_-]{22}$/);
      expect(bytesOf(jti).equals(zero16)).toBe(false);
      expect(bytesOf(secret.slice(4)).equals(zero32)).toBe(false);
      for (const value of [jti, secret, id]) {
        expect(seen.has(value)).toBe(false);
        seen.add(value);
      }
    }
  });

  it('look uniformly random: every byte value appears, none far more often than expected', () => {
    const counts = new Array<number>(256).fill(0);
    const draws = 4000;
    for (let i = 0; i < draws; i++)
      for (const byte of bytesOf(randomSecret())) counts[byte] = (counts[byte] ?? 0) + 1;
    const expected = (draws * 32) / 256; // 500
    // A stuck or repeating pool (a slice handed out twice, zeros) fails this by far; a fair
    // source stays within ±25% of 500 with overwhelming probability (σ ≈ 22).
    for (const count of counts) {
      expect(count).toBeGreaterThan(expected * 0.75);
      expect(count).toBeLessThan(expected * 1.25);
    }
  });

  it('hashSecret is the SHA-256 of the secret, base64url', () => {
    const secret = 'wcs_Zm9vYmFyYmF6cXV4IMOpIOKCrA';
    expect(hashSecret(secret)).toBe(
      createHash('sha256').update(secret, 'utf8').digest('base64url'),
    );
  });
});
