/**
 * Mirror memory per entry and lookup cost with 100k entries.
 * Run with --expose-gc (npm run bench:server does).
 */
import type { AccessTokenClaims, JoseHeader, RevocationEntry } from '@writ/core';
import { RevocationMirror } from '../../packages/verify/src/revocation/mirror.ts';
import { median } from '../verify/stats.ts';

const entries = 100_000;
const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

const nowSec = Math.floor(Date.now() / 1000);
const id = (prefix: string, i: number) =>
  `${prefix}${i.toString(36).padStart(8, '0')}${'x'.repeat(14)}`;

function entryAt(i: number): RevocationEntry {
  // The mix a busy service produces: mostly sessions ending, some single tokens, some users.
  const kind = i % 10;
  const target =
    kind < 6
      ? ({ type: 'sid', value: id('ses_', i) } as const)
      : kind < 9
        ? ({ type: 'jti', value: id('', i) } as const)
        : ({ type: 'sub', value: id('usr_', i), issuedBefore: nowSec } as const);
  return { cursor: i + 1, target, cause: 'sign_out', revokedAt: nowSec, forgetAfter: nowSec + 930 };
}

const before = heapUsed();
const mirror = new RevocationMirror();
for (let i = 0; i < entries; i++) mirror.apply(entryAt(i));
const after = heapUsed();
const bytesPerEntry = (after - before) / entries;

const header = { alg: 'EdDSA', typ: 'at+jwt', kid: 'k1' } as JoseHeader;
const claimsFor = (i: number, revoked: boolean): AccessTokenClaims => ({
  iss: 'https://issuer',
  sub: revoked ? id('usr_', i * 10 + 9) : id('usr_other', i),
  aud: 'api',
  exp: nowSec + 600,
  iat: nowSec - 10,
  jti: revoked ? id('', i * 10 + 6) : `miss-${i}`,
  sid: revoked ? id('ses_', i * 10) : `ses_miss_${i}`,
});
const hits = Array.from({ length: 1000 }, (_, i) => claimsFor(i, true));
const misses = Array.from({ length: 1000 }, (_, i) => claimsFor(i, false));

function nsPerLookup(claims: readonly AccessTokenClaims[]): number {
  const rounds: number[] = [];
  let sink = 0;
  for (let round = 0; round < 7; round++) {
    const start = process.hrtime.bigint();
    for (let n = 0; n < 1000; n++) {
      for (const c of claims) if (mirror.isRevoked(c, header)) sink++;
    }
    rounds.push(Number(process.hrtime.bigint() - start) / (1000 * claims.length));
  }
  if (sink < 0) console.log(sink);
  return median(rounds);
}

const missNs = nsPerLookup(misses);
const hitNs = nsPerLookup(hits);
console.log('\n## Revocation mirror: memory and lookup cost (100k entries)\n');
console.log(`entries held          ${mirror.size.toLocaleString('en')}`);
console.log(
  `heap per entry        ${bytesPerEntry.toFixed(0)} bytes  (${((after - before) / 1024 / 1024).toFixed(1)} MiB for 100k)`,
);
console.log(
  `lookup, not revoked   ${missNs.toFixed(0)} ns  (checks jti, sid, kid and sub: the common case)`,
);
console.log(`lookup, revoked       ${hitNs.toFixed(0)} ns`);
console.log(
  `\nRESULT mirror bytesPerEntry=${bytesPerEntry.toFixed(0)} missNs=${missNs.toFixed(0)} hitNs=${hitNs.toFixed(0)}`,
);
