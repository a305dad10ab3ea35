import { KeyObject } from 'node:crypto';
import {
  type AsymmetricAlgorithm,
  isAsymmetricAlgorithm,
  type JwsAlgorithm,
  MinimumRsaModulusBits,
} from '@writ/core';
import { importJWK, type JWK } from 'jose';
import { type VerificationKey, verificationKey } from './signature.ts';
import { keyTypeFor } from './signature-algorithms.ts';

/** Verification keys by `kid`, then by algorithm: one lookup per verify, no per-call import. */
export type KeyIndex = ReadonlyMap<string, ReadonlyMap<JwsAlgorithm, VerificationKey>>;

/** A JSON Web Key Set as published at a `jwks_uri` (RFC 7517 §5). */
export interface JsonWebKeySet {
  readonly keys: readonly JWK[];
}

function rsaModulusBits(n: string): number {
  const bytes = Buffer.from(n, 'base64url');
  let index = 0;
  while (index < bytes.length && bytes[index] === 0) index++;
  const leading = bytes[index];
  if (leading === undefined) return 0;
  return (bytes.length - index - 1) * 8 + (32 - Math.clz32(leading));
}

/** The algorithms a public key can verify, from its type and curve alone. */
function algorithmsForKey(jwk: JWK): readonly AsymmetricAlgorithm[] {
  switch (jwk.kty) {
    case 'OKP':
      return jwk.crv === 'Ed25519' ? ['EdDSA', 'Ed25519'] : [];
    case 'EC':
      if (jwk.crv === 'P-256') return ['ES256'];
      if (jwk.crv === 'P-384') return ['ES384'];
      if (jwk.crv === 'P-521') return ['ES512'];
      return [];
    case 'RSA':
      if (typeof jwk.n !== 'string' || rsaModulusBits(jwk.n) < MinimumRsaModulusBits) return [];
      return ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
    case 'AKP':
      // An `AKP` key names its parameter set only in `alg`, which is required for it
      // (draft-ietf-cose-dilithium §4): without one there is nothing to check the key against.
      if (jwk.alg === 'ML-DSA-44') return ['ML-DSA-44'];
      if (jwk.alg === 'ML-DSA-65') return ['ML-DSA-65'];
      return [];
    default:
      // `oct` and anything unknown: a shared secret never comes from a key set.
      return [];
  }
}

/**
 * Whether an entry's declared `alg` admits `alg`. For an Ed25519 key `EdDSA` and `Ed25519` name
 * the same algorithm (RFC 9864 §2), so a key set published before the rename verifies tokens
 * that use the new name, and the other way round.
 */
function declaredAlgFits(declared: string, alg: AsymmetricAlgorithm): boolean {
  const ed25519 = (name: string): boolean => name === 'EdDSA' || name === 'Ed25519';
  return declared === alg || (ed25519(declared) && ed25519(alg));
}

/**
 * Whether a key set entry may ever verify a token: it must have a `kid`, be meant for signatures
 * and hold no private material (a private key in a published set is a leak, not a key to trust).
 */
function isUsableEntry(jwk: JWK): jwk is JWK & { kid: string } {
  if (typeof jwk !== 'object' || jwk === null) return false;
  if (typeof jwk.kid !== 'string' || jwk.kid === '') return false;
  if (jwk.use !== undefined && jwk.use !== 'sig') return false;
  if (
    jwk.key_ops !== undefined &&
    !(Array.isArray(jwk.key_ops) && jwk.key_ops.includes('verify'))
  ) {
    return false;
  }
  // `priv` is the private half of an `AKP` (ML-DSA) key.
  return (
    jwk.d === undefined && jwk.p === undefined && jwk.k === undefined && jwk.priv === undefined
  );
}

/**
 * The node:crypto key for an entry jose has imported for `alg`. jose stays the JWK parser and
 * validator: the `KeyObject` is taken from the `CryptoKey` it built (`KeyObject.from`), so the
 * signature step uses exactly the key material the oracle saw, and no second JWK parser decides
 * what a key is. (The import is extractable because `KeyObject.from` of a non-extractable key is
 * deprecated in Node 24; these are public keys.) Its type, curve and RSA size are checked again.
 */
async function importKeyObject(jwk: JWK, alg: AsymmetricAlgorithm): Promise<KeyObject> {
  const imported = await importJWK({ ...jwk, ext: true }, alg);
  if (!(imported instanceof CryptoKey) || imported.type !== 'public') {
    throw new TypeError('not a public key');
  }
  const keyObject = KeyObject.from(imported);
  const expected = keyTypeFor[alg];
  const details = keyObject.asymmetricKeyDetails;
  if (
    keyObject.asymmetricKeyType !== expected.type ||
    (expected.curve !== undefined && details?.namedCurve !== expected.curve) ||
    (expected.type === 'rsa' && (details?.modulusLength ?? 0) < MinimumRsaModulusBits)
  ) {
    throw new TypeError('key does not fit its algorithm');
  }
  return keyObject;
}

/**
 * Imports every usable key of a set for every allowed algorithm it fits. Entries that are
 * unusable, disagree with their own `alg`, or fail to import are skipped, never fatal: one bad
 * entry must not take the good keys down with it.
 */
export async function buildKeyIndex(
  jwks: unknown,
  allowed: ReadonlySet<JwsAlgorithm>,
): Promise<KeyIndex> {
  const index = new Map<string, Map<JwsAlgorithm, VerificationKey>>();
  const entries =
    typeof jwks === 'object' && jwks !== null && Array.isArray((jwks as { keys?: unknown }).keys)
      ? ((jwks as { keys: unknown[] }).keys as JWK[])
      : [];
  for (const jwk of entries) {
    if (!isUsableEntry(jwk)) continue;
    const fits = algorithmsForKey(jwk).filter(
      (alg) => allowed.has(alg) && (jwk.alg === undefined || declaredAlgFits(jwk.alg, alg)),
    );
    for (const alg of fits) {
      if (!isAsymmetricAlgorithm(alg)) continue;
      let key: VerificationKey;
      try {
        const { alg: _declared, key_ops: _ops, use: _use, ext: _ext, ...publicJwk } = jwk;
        // jose imports an `AKP` key only with its `alg` (the one it fits, checked above).
        const importable = jwk.kty === 'AKP' ? { ...publicJwk, alg } : publicJwk;
        key = verificationKey(alg, await importKeyObject(importable, alg));
      } catch {
        continue; // an entry that does not import is skipped, see above
      }
      let byAlg = index.get(jwk.kid);
      if (byAlg === undefined) {
        byAlg = new Map();
        index.set(jwk.kid, byAlg);
      }
      // First entry wins: a set that repeats a kid cannot swap the key behind it.
      if (!byAlg.has(alg)) byAlg.set(alg, key);
    }
  }
  return index;
}
