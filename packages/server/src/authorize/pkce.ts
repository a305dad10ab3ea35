import { createHash, timingSafeEqual } from 'node:crypto';

/** An S256 challenge: base64url of a SHA-256, so exactly 43 characters (RFC 7636 §4.2). */
const s256Challenge = /^[A-Za-z0-9_-]{43}$/;
/** A verifier: 43 to 128 unreserved characters (RFC 7636 §4.1). */
const verifierShape = /^[A-Za-z0-9._~-]{43,128}$/;

export function isS256Challenge(value: string): boolean {
  return s256Challenge.test(value);
}

/**
 * Whether `verifier` answers `challenge` under S256, compared in constant time. `plain` does not
 * exist here: a challenge equal to its verifier protects nothing once the authorization request
 * is seen (logs, history, a malicious app on the device), which is what PKCE is for.
 */
export function verifierMatchesS256(verifier: string, challenge: string): boolean {
  if (!verifierShape.test(verifier) || !isS256Challenge(challenge)) return false;
  const computed = Buffer.from(createHash('sha256').update(verifier, 'ascii').digest('base64url'));
  const expected = Buffer.from(challenge);
  return computed.length === expected.length && timingSafeEqual(computed, expected);
}
