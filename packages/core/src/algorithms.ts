/** Asymmetric JWS algorithms Writ verifies. `none` is absent by design and can never be added. */
export const AsymmetricAlgorithms = [
  'EdDSA',
  'Ed25519',
  'ES256',
  'ES384',
  'ES512',
  'PS256',
  'PS384',
  'PS512',
  'RS256',
  'RS384',
  'RS512',
  // ML-DSA (FIPS 204, draft-ietf-cose-dilithium): experimental, never a default. Post-quantum,
  // at the price of ~2.4 KB (44) and ~3.3 KB (65) signatures in every token.
  'ML-DSA-44',
  'ML-DSA-65',
] as const;

/** HMAC algorithms: only for an explicit single-party deployment with a shared secret. */
export const SymmetricAlgorithms = ['HS256', 'HS384', 'HS512'] as const;

export type AsymmetricAlgorithm = (typeof AsymmetricAlgorithms)[number];
export type SymmetricAlgorithm = (typeof SymmetricAlgorithms)[number];
export type JwsAlgorithm = AsymmetricAlgorithm | SymmetricAlgorithm;

/** The algorithms a verifier accepts when none are configured. */
export const DefaultAlgorithms: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256'];

/**
 * RFC 9864 deprecates the polymorphic `EdDSA` in favour of fully-specified names. `Ed25519` is the
 * fully-specified name of what Writ means by `EdDSA` (Ed448 is not supported), so wherever `EdDSA`
 * is allowed, `Ed25519` is too: issuers moving to the new name keep working with old consumers.
 */
export function withFullySpecifiedNames(
  algorithms: Iterable<JwsAlgorithm>,
): ReadonlySet<JwsAlgorithm> {
  const expanded = new Set(algorithms);
  if (expanded.has('EdDSA')) expanded.add('Ed25519');
  return expanded;
}

const asymmetric: ReadonlySet<string> = new Set(AsymmetricAlgorithms);
const symmetric: ReadonlySet<string> = new Set(SymmetricAlgorithms);

export function isAsymmetricAlgorithm(alg: string): alg is AsymmetricAlgorithm {
  return asymmetric.has(alg);
}

export function isSymmetricAlgorithm(alg: string): alg is SymmetricAlgorithm {
  return symmetric.has(alg);
}

/** Minimum HMAC secret length in bytes for each HS algorithm: at least the hash size, never < 256 bits. */
export const MinimumHmacSecretBytes: Readonly<Record<SymmetricAlgorithm, number>> = {
  HS256: 32,
  HS384: 48,
  HS512: 64,
};

/** RSA keys shorter than this are never used, whatever a key set offers (RFC 8725 §3.5). */
export const MinimumRsaModulusBits = 2048;
