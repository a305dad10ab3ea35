import { createHash, timingSafeEqual } from 'node:crypto';

/** The `csrf` claim for a CSRF value: its SHA-256, base64url. The issuer and every verifier use this one function. */
export function csrfClaimFor(csrfToken: string): string {
  return createHash('sha256').update(csrfToken, 'utf8').digest('base64url');
}

/** Whether `presented` (the `X-CSRF-Token` header) matches the token's `csrf` claim, in constant time. */
export function csrfMatches(presented: string, claim: string): boolean {
  const expected = Buffer.from(claim, 'utf8');
  const actual = Buffer.from(csrfClaimFor(presented), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
