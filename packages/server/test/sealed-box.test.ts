import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { open, SealedBoxError, seal } from '../src/platform/crypto/sealed-box.ts';

const key = randomBytes(32);
const plaintext = '{"kty":"OKP","crv":"Ed25519","d":"private-half-of-a-signing-key"}';
const kid = 'kid-of-the-row';

/** Flips one bit of the base64url part `index` (1 = iv, 2 = ciphertext, 3 = tag). */
function flipBit(sealed: string, index: number): string {
  const parts = sealed.split('.');
  const bytes = Buffer.from(parts[index] ?? '', 'base64url');
  bytes[0] = (bytes[0] ?? 0) ^ 0x01;
  parts[index] = bytes.toString('base64url');
  return parts.join('.');
}

/** Runs `open` and returns what it threw (failing if it returned anything). */
function refusal(work: () => string): unknown {
  let opened: string | undefined;
  try {
    opened = work();
  } catch (error) {
    return error;
  }
  throw new Error(`opened instead of refusing (${opened?.length ?? 0} characters)`);
}

describe('the sealed box', () => {
  it('opens what it sealed, under the same key and kid', () => {
    const sealed = seal(key, plaintext, kid);
    expect(sealed).toMatch(/^v1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{22}$/);
    expect(sealed).not.toContain(Buffer.from(plaintext).toString('base64url').slice(0, 12));
    expect(open(key, sealed, kid)).toBe(plaintext);
  });

  it('seals the same plaintext differently every time (a fresh IV each)', () => {
    expect(seal(key, plaintext, kid)).not.toBe(seal(key, plaintext, kid));
  });

  const sealed = seal(key, plaintext, kid);
  const refused: ReadonlyArray<readonly [string, () => string]> = [
    ['another master key', () => open(randomBytes(32), sealed, kid)],
    ["another row's kid as associated data", () => open(key, sealed, 'another-kid')],
    ['an empty kid', () => open(key, sealed, '')],
    ['a flipped bit in the IV', () => open(key, flipBit(sealed, 1), kid)],
    ['a flipped bit in the ciphertext', () => open(key, flipBit(sealed, 2), kid)],
    ['a flipped bit in the tag', () => open(key, flipBit(sealed, 3), kid)],
    ['a truncated tag', () => open(key, sealed.slice(0, -4), kid)],
    ['no tag', () => open(key, sealed.split('.').slice(0, 3).join('.'), kid)],
    ['an empty tag', () => open(key, `${sealed.split('.').slice(0, 3).join('.')}.`, kid)],
    ['a truncated ciphertext', () => open(key, sealed.replace(/\.([^.]+)\.([^.]+)$/, '.$2'), kid)],
    ['another version', () => open(key, sealed.replace(/^v1\./, 'v2.'), kid)],
    ['an empty string', () => open(key, '', kid)],
    ['an extra part', () => open(key, `${sealed}.AAAA`, kid)],
  ];

  it.each(refused)('refuses %s with a typed error that carries no plaintext', (_name, work) => {
    const error = refusal(work);
    expect(error).toBeInstanceOf(SealedBoxError);
    expect(error).toMatchObject({ code: 'ERR_SEALED_BOX_UNOPENABLE' });
    const shown = `${String(error)} ${JSON.stringify(error)} ${(error as Error).stack ?? ''}`;
    expect(shown).not.toContain('private-half');
    expect((error as Error).cause).toBeUndefined();
  });
});
