import { randomBytes, timingSafeEqual } from 'node:crypto';
import { hashSecret, randomSecret } from '../platform/crypto/random.ts';

/** A new client secret: 256 random bits, prefixed so a leaked one is recognisable to scanners. */
export function generateClientSecret(): string {
  return randomSecret('wcs_');
}

/** A new client id: 'wc_' + 128 random bits (22 base64url characters), never sequential. */
export function generateClientId(): string {
  return `wc_${randomBytes(16).toString('base64url')}`;
}

/** SHA-256 is right for a 256-bit generated secret: there is nothing to brute-force. */
export function hashClientSecret(secret: string): string {
  return hashSecret(secret);
}

/** Compared against when the client has no such hash, so both paths do the same work. */
const decoyHash = Buffer.from(hashSecret(randomSecret()), 'base64url');

/** Constant-time comparison of a presented secret's hash with a stored one (or the decoy). */
export function secretHashMatches(presentedHash: string, storedHash: string | null): boolean {
  const presented = Buffer.from(presentedHash, 'base64url');
  const stored = storedHash === null ? decoyHash : Buffer.from(storedHash, 'base64url');
  const comparable = stored.length === presented.length ? stored : decoyHash;
  return timingSafeEqual(presented, comparable) && storedHash !== null && comparable === stored;
}
