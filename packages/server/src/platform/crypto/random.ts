import { hash, randomFillSync } from 'node:crypto';

// Random bytes come from a pool filled 4 KiB at a time, the way node:crypto's own `randomUUID`
// does: one `randomBytes(16)` costs ~2–3 µs on the benchmark VM (a call into OpenSSL's CSPRNG
// per id), a slice of the pool ~0.15 µs, and every token endpoint request draws one or two. The
// bytes are the same CSPRNG's; each slice is zeroed once it has been encoded, so no secret
// handed out stays in the pool (the bytes not yet handed out are no more exposed than the
// process's keys already are).
const poolBytes = 4096;
const pool = Buffer.alloc(poolBytes);
let poolOffset = poolBytes;

/** `byteCount` fresh random bytes from the pool, base64url-encoded (at most 64). */
function randomBase64url(byteCount: number): string {
  if (poolOffset + byteCount > poolBytes) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const start = poolOffset;
  poolOffset += byteCount;
  const encoded = pool.toString('base64url', start, poolOffset);
  pool.fill(0, start, poolOffset);
  return encoded;
}

/** A random identifier with a type prefix, e.g. `usr_…`: 128 random bits, never sequential. */
export function randomId(prefix: 'usr' | 'ses' | 'key' | 'api'): string {
  return `${prefix}_${randomBase64url(16)}`;
}

/** A bearer secret (refresh token, API key): 256 random bits, base64url. */
export function randomSecret(prefix = ''): string {
  return `${prefix}${randomBase64url(32)}`;
}

/** A token id (`jti`): 128 random bits. */
export function randomTokenId(): string {
  return randomBase64url(16);
}

/**
 * SHA-256 of a high-entropy secret, for storage and lookup. A fast hash is right here: the
 * secret has 256 random bits, so there is nothing to brute-force (passwords use Argon2id).
 * node:crypto's one-shot `hash` (no Hash object per call: ~0.3 µs against ~0.75 µs).
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'base64url');
}
