import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type DecodedJws, decodeToken } from '../src/decode.ts';
import { lint } from '../src/lint.ts';

/** `writ inspect` knows the experimental ML-DSA names Writ verifies, and their signature lengths. */

const b64json = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = Math.floor(Date.now() / 1000);
const payload = b64json({
  iss: 'https://auth.writ.test',
  sub: 'usr_4f9a1c2e7b',
  aud: 'https://api.writ.test',
  iat: nowSec,
  nbf: nowSec,
  exp: nowSec + 600,
  jti: 'jti-1',
  scope: 'api',
  client_id: 'app',
});

function mlDsaToken(alg: string, keyType: 'ml-dsa-44' | 'ml-dsa-65', cutBytes = 0): string {
  const { privateKey } = generateKeyPairSync(keyType);
  const input = `${b64json({ alg, typ: 'at+jwt', kid: 'key-1' })}.${payload}`;
  const signature = sign(null, Buffer.from(input), privateKey);
  return `${input}.${signature.subarray(0, signature.length - cutBytes).toString('base64url')}`;
}

function findingIds(token: string): string[] {
  const decoded = decodeToken(token);
  expect(decoded.form).toBe('jws');
  return lint(decoded as DecodedJws, nowSec).map((finding) => finding.id);
}

describe('writ inspect on ML-DSA tokens', () => {
  it.each([
    ['ML-DSA-44', 'ml-dsa-44'],
    ['ML-DSA-65', 'ml-dsa-65'],
  ] as const)(
    'takes %s as an algorithm Writ verifies, its signature length as right',
    (alg, type) => {
      const ids = findingIds(mlDsaToken(alg, type));
      expect(ids).not.toContain('alg-unknown');
      expect(ids).not.toContain('signature-length');
    },
  );

  it('flags an ML-DSA signature of the wrong length, and a parameter set Writ does not verify', () => {
    expect(findingIds(mlDsaToken('ML-DSA-65', 'ml-dsa-65', 1))).toContain('signature-length');
    // An ML-DSA-44 signature under an ML-DSA-65 header: the length tells.
    expect(findingIds(mlDsaToken('ML-DSA-65', 'ml-dsa-44'))).toContain('signature-length');
    expect(findingIds(mlDsaToken('ML-DSA-87', 'ml-dsa-65'))).toContain('alg-unknown');
  });
});
