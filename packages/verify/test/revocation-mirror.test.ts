import type { AccessTokenClaims, JoseHeader, RevocationEntry, RevocationTarget } from '@writ/core';
import { describe, expect, it } from 'vitest';
import { backoffDelayMs } from '../src/revocation/backoff.ts';
import { RevocationMirror } from '../src/revocation/mirror.ts';

const t0 = 1_800_000_000;

function entry(cursor: number, target: RevocationTarget, forgetAfter = t0 + 900): RevocationEntry {
  return { cursor, target, cause: 'admin', revokedAt: t0, forgetAfter };
}

/** Claims and header of a verified token; an override of `undefined` removes the claim. */
function token(
  overrides: Record<string, unknown> = {},
  kid = 'key-1',
): readonly [AccessTokenClaims, JoseHeader] {
  const claims = {
    iss: 'https://issuer.writ.test',
    aud: 'https://api.writ.test',
    sub: 'usr_1',
    jti: 'jti_1',
    sid: 'ses_1',
    iat: t0,
    exp: t0 + 600,
    ...overrides,
  } as AccessTokenClaims;
  const header: JoseHeader = { alg: 'EdDSA', typ: 'at+jwt', kid };
  return [claims, header];
}

describe('the revocation mirror', () => {
  it('revokes by jti, sid and kid, and leaves other tokens alone', () => {
    const mirror = new RevocationMirror();
    mirror.apply(entry(1, { type: 'jti', value: 'jti_bad' }));
    mirror.apply(entry(2, { type: 'sid', value: 'ses_bad' }));
    mirror.apply(entry(3, { type: 'kid', value: 'key-bad' }));
    expect(mirror.isRevoked(...token({ jti: 'jti_bad' }))).toBe(true);
    expect(mirror.isRevoked(...token({ sid: 'ses_bad' }))).toBe(true);
    expect(mirror.isRevoked(...token({}, 'key-bad'))).toBe(true);
    expect(mirror.isRevoked(...token())).toBe(false);
    expect(mirror.isRevoked(...token({ sid: undefined }))).toBe(false);
    // Values are not interchangeable between target types.
    expect(mirror.isRevoked(...token({ jti: 'ses_bad', sid: 'jti_bad' }))).toBe(false);
    expect(mirror.size).toBe(3);
    expect(mirror.cursor).toBe(3);
  });

  it('revokes a subject’s tokens issued strictly before the cutoff, keeping the latest cutoff', () => {
    const mirror = new RevocationMirror();
    mirror.apply(entry(1, { type: 'sub', value: 'usr_1', issuedBefore: t0 + 100 }));
    expect(mirror.isRevoked(...token({ iat: t0 + 99 }))).toBe(true);
    expect(mirror.isRevoked(...token({ iat: t0 + 100 }))).toBe(false);
    expect(mirror.isRevoked(...token({ sub: 'usr_2', iat: t0 }))).toBe(false);
    mirror.apply(entry(2, { type: 'sub', value: 'usr_1', issuedBefore: t0 + 200 }));
    expect(mirror.isRevoked(...token({ iat: t0 + 150 }))).toBe(true);
    // An older cutoff arriving later does not shrink the newer one.
    mirror.apply(entry(3, { type: 'sub', value: 'usr_1', issuedBefore: t0 + 50 }));
    expect(mirror.isRevoked(...token({ iat: t0 + 150 }))).toBe(true);
    expect(mirror.size).toBe(1);
  });

  it('applies entries idempotently: a cursor at or below its own is ignored', () => {
    const mirror = new RevocationMirror();
    expect(mirror.apply(entry(5, { type: 'jti', value: 'a' }))).toBe(true);
    expect(mirror.apply(entry(5, { type: 'jti', value: 'a' }))).toBe(false);
    expect(mirror.apply(entry(4, { type: 'jti', value: 'b' }))).toBe(false);
    expect(mirror.isRevoked(...token({ jti: 'b' }))).toBe(false);
    expect(mirror.apply(entry(9, { type: 'jti', value: 'c' }))).toBe(true);
    expect([mirror.cursor, mirror.size]).toEqual([9, 2]);
    mirror.skipTo(7);
    expect(mirror.cursor).toBe(9);
    mirror.skipTo(12);
    expect(mirror.cursor).toBe(12);
  });

  it('drops values once past their latest forgetAfter, and only then', () => {
    const mirror = new RevocationMirror();
    mirror.apply(entry(1, { type: 'jti', value: 'early' }, t0 + 10));
    mirror.apply(entry(2, { type: 'sid', value: 'late' }, t0 + 1000));
    mirror.apply(entry(3, { type: 'kid', value: 'extended' }, t0 + 10));
    mirror.apply(entry(4, { type: 'kid', value: 'extended' }, t0 + 500));
    mirror.apply(entry(5, { type: 'sub', value: 'usr_1', issuedBefore: t0 }, t0 + 20));
    expect(mirror.size).toBe(4);

    mirror.prune(t0 + 10);
    expect(mirror.size, 'forgetAfter itself is not yet after it').toBe(4);
    mirror.prune(t0 + 11);
    expect(mirror.isRevoked(...token({ jti: 'early' }))).toBe(false);
    expect(mirror.isRevoked(...token({}, 'extended'))).toBe(true);
    expect(mirror.size).toBe(3);
    mirror.prune(t0 + 501);
    expect(mirror.size).toBe(1);
    mirror.prune(t0 + 1001);
    expect(mirror.size).toBe(0);
    expect(mirror.cursor, 'pruning never moves the cursor back').toBe(5);
  });

  it('prunes thousands of out-of-order expiries exactly', () => {
    const mirror = new RevocationMirror();
    const forgetAfters = Array.from({ length: 5000 }, (_, i) => t0 + ((i * 7919) % 1000));
    forgetAfters.forEach((at, i) => {
      mirror.apply(entry(i + 1, { type: 'jti', value: `j${i}` }, at));
    });
    for (const now of [t0 + 100, t0 + 500, t0 + 999, t0 + 1000]) {
      mirror.prune(now);
      expect(mirror.size).toBe(forgetAfters.filter((at) => at >= now).length);
    }
  });
});

describe('reconnection backoff', () => {
  it('doubles from 100 ms up to 5 s, each delay jittered within its upper half', () => {
    const ceilings = [100, 200, 400, 800, 1600, 3200, 5000, 5000, 5000];
    ceilings.forEach((ceiling, attempt) => {
      expect(backoffDelayMs(attempt, undefined, () => 0)).toBe(ceiling / 2);
      expect(backoffDelayMs(attempt, undefined, () => 0.999_999)).toBeCloseTo(ceiling, 0);
    });
    expect(backoffDelayMs(10_000)).toBeLessThanOrEqual(5000);
  });
});
