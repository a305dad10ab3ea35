import { createHash, randomBytes } from 'node:crypto';

/** A random identifier with a type prefix, e.g. `usr_…`: 128 random bits, never sequential. */
export function randomId(prefix: 'usr' | 'ses' | 'key' | 'api'): string {
  return `${prefix}_${randomBytes(16).toString('base64url')}`;
}

/** A bearer secret (refresh token, API key): 256 random bits, base64url. */
export function randomSecret(prefix = ''): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/** A token id (`jti`): 128 random bits. */
export function randomTokenId(): string {
  return randomBytes(16).toString('base64url');
}

/**
 * SHA-256 of a high-entropy secret, for storage and lookup. A fast hash is right here: the
 * secret has 256 random bits, so there is nothing to brute-force (passwords use Argon2id).
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('base64url');
}
