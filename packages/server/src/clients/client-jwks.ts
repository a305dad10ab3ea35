import { createPublicKey } from 'node:crypto';
import { AsymmetricAlgorithms } from '@writ/core';
import { importJWK, type JSONWebKeySet, type JWK } from 'jose';

/**
 * Signing algorithms a client assertion may use: Writ's asymmetric list, never HMAC or `none`,
 * and not the experimental ML-DSA (a client JWKS of kty `AKP` is not accepted below, so
 * discovery must not advertise it).
 */
export const clientAssertionAlgorithms: readonly string[] = AsymmetricAlgorithms.filter(
  (alg) => !alg.startsWith('ML-DSA-'),
);

const maxKeys = 10;
const minRsaModulusBits = 2048;
/** Members that only a private (or symmetric) key has: a JWKS holding one leaks a secret. */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];
/** What is kept of each key: its public material and how it may be picked. */
const publicMembers = ['kty', 'kid', 'alg', 'use', 'key_ops', 'n', 'e', 'crv', 'x', 'y'] as const;
const curves: Record<string, string> = { 'P-256': 'ES256', 'P-384': 'ES384', 'P-521': 'ES512' };
const algorithmFamilies: Record<string, readonly string[]> = {
  RSA: ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'],
  EC: ['ES256', 'ES384', 'ES512'],
  OKP: ['EdDSA', 'Ed25519'],
};

/** The algorithm jose imports a key with, when the key does not name one. */
function representativeAlgorithm(jwk: JWK): string | undefined {
  if (jwk.kty === 'RSA') return 'RS256';
  if (jwk.kty === 'EC') return jwk.crv === undefined ? undefined : curves[jwk.crv];
  if (jwk.kty === 'OKP') return jwk.crv === 'Ed25519' ? 'EdDSA' : undefined;
  return undefined;
}

async function publicSigningKey(candidate: unknown): Promise<JWK | undefined> {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return;
  const jwk = candidate as Record<string, unknown>;
  if (privateMembers.some((member) => member in jwk)) return;
  const family = typeof jwk.kty === 'string' ? algorithmFamilies[jwk.kty] : undefined;
  if (family === undefined) return;
  if (jwk.alg !== undefined && !(typeof jwk.alg === 'string' && family.includes(jwk.alg))) return;
  if (jwk.use !== undefined && jwk.use !== 'sig') return;
  if (
    jwk.key_ops !== undefined &&
    !(Array.isArray(jwk.key_ops) && jwk.key_ops.length === 1 && jwk.key_ops[0] === 'verify')
  )
    return;
  if (
    jwk.kid !== undefined &&
    !(typeof jwk.kid === 'string' && /^[\x21-\x7e]{1,200}$/.test(jwk.kid))
  )
    return;
  const kept: Record<string, unknown> = {};
  for (const member of publicMembers) if (jwk[member] !== undefined) kept[member] = jwk[member];
  const publicJwk = kept as JWK;
  // The curve decides the algorithm for EC and OKP keys (ES256 is P-256 only; Ed448 is not taken).
  const curveAlgorithm = representativeAlgorithm(publicJwk);
  if (curveAlgorithm === undefined) return;
  if (publicJwk.kty === 'EC' && publicJwk.alg !== undefined && publicJwk.alg !== curveAlgorithm)
    return;
  const alg = publicJwk.alg ?? curveAlgorithm;
  if (!clientAssertionAlgorithms.includes(alg)) return;
  try {
    // jose is the judge of whether this is a well-formed key for that algorithm…
    await importJWK(publicJwk, alg);
    // …and node's parse says how strong it is.
    const details = createPublicKey({
      key: publicJwk as never,
      format: 'jwk',
    }).asymmetricKeyDetails;
    if (publicJwk.kty === 'RSA' && (details?.modulusLength ?? 0) < minRsaModulusBits) return;
  } catch {
    return;
  }
  return publicJwk;
}

/**
 * Validates a client's inline JWKS and returns only its public members, or undefined when any
 * key is refused (RSA under 2048 bits, a symmetric or private key, an unknown algorithm or curve,
 * a key not meant for signatures, several keys without distinct kids).
 */
export async function acceptableClientJwks(candidate: unknown): Promise<JSONWebKeySet | undefined> {
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) return;
  const members = Object.keys(candidate);
  if (members.length !== 1 || members[0] !== 'keys') return;
  const { keys } = candidate as { keys: unknown };
  if (!Array.isArray(keys) || keys.length === 0 || keys.length > maxKeys) return;
  const accepted: JWK[] = [];
  for (const key of keys) {
    const publicJwk = await publicSigningKey(key);
    if (publicJwk === undefined) return;
    accepted.push(publicJwk);
  }
  if (accepted.length > 1) {
    const kids = accepted.map((key) => key.kid);
    if (kids.some((kid) => kid === undefined) || new Set(kids).size !== kids.length) return;
  }
  return { keys: accepted };
}
