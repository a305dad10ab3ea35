import { constants, sign as cryptoSign, KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { MinimumRsaModulusBits } from '@writ/core';
import type { KeyHandle, SigningAlgorithm } from './key-custody.ts';

/**
 * What node:crypto needs to produce one JWS algorithm's signature (RFC 7518 §3, RFC 8037, and
 * ML-DSA as JOSE drafts it: kty `AKP`, the signature over the signing input with no prehash),
 * pinned here and nowhere else in the service: the digest, the key type (and curve) the key must
 * be, and the options node:crypto takes beside the key.
 */
interface SigningParameters {
  readonly digest: string | null;
  readonly keyType: 'ed25519' | 'ec' | 'rsa' | 'ml-dsa-44' | 'ml-dsa-65';
  /** The curve node:crypto must report for an `ec` key. */
  readonly namedCurve?: string;
  readonly options: Omit<SignKeyObjectInput, 'key'>;
}

const ecdsa = (digest: string, namedCurve: string): SigningParameters => ({
  digest,
  keyType: 'ec',
  namedCurve,
  // JWS carries R‖S at fixed width (RFC 7518 §3.4), not node:crypto's default DER.
  options: { dsaEncoding: 'ieee-p1363' },
});

export const signingParameters: Readonly<Record<SigningAlgorithm, SigningParameters>> = {
  EdDSA: { digest: null, keyType: 'ed25519', options: {} },
  ES256: ecdsa('sha256', 'prime256v1'),
  RS256: { digest: 'sha256', keyType: 'rsa', options: { padding: constants.RSA_PKCS1_PADDING } },
  // The salt is as long as the digest (RFC 7518 §3.5); node:crypto's default would be the maximum.
  PS256: {
    digest: 'sha256',
    keyType: 'rsa',
    options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
  },
  // Pure ML-DSA (FIPS 204) signs the message itself: no digest, no options.
  'ML-DSA-44': { digest: null, keyType: 'ml-dsa-44', options: {} },
  'ML-DSA-65': { digest: null, keyType: 'ml-dsa-65', options: {} },
};

/**
 * Binds a private key to `alg` and `kid`. A `CryptoKey` (what jose's `importJWK` returns, imported
 * extractable: a `KeyObject` in this process can be exported whatever the flag says) becomes a
 * `KeyObject` once, here, and is checked again to be the type, curve and size its algorithm
 * needs, so no token is ever signed with a key that does not fit its header.
 *
 * Every signature runs on the libuv threadpool (crypto.sign's callback form), none on the event
 * loop. Measured on the 2-core VM: an Ed25519 signature costs the main thread 65-100 µs inline
 * and 17-25 µs as a threadpool job (the rest runs on the other core), so a main-thread-bound
 * token endpoint serves more with it (docs/oauth/token.md); an RSA signature (about 1 ms) or an
 * ML-DSA one would otherwise stall every other request.
 */
export function nodeSigningKey(
  alg: SigningAlgorithm,
  kid: string,
  privateKey: CryptoKey | KeyObject,
): KeyHandle {
  const keyObject = privateKey instanceof KeyObject ? privateKey : KeyObject.from(privateKey);
  if (keyObject.type !== 'private') throw new TypeError('not a private key');
  const parameters = signingParameters[alg];
  const details = keyObject.asymmetricKeyDetails;
  if (
    parameters === undefined ||
    keyObject.asymmetricKeyType !== parameters.keyType ||
    (parameters.namedCurve !== undefined && details?.namedCurve !== parameters.namedCurve) ||
    (parameters.keyType === 'rsa' && (details?.modulusLength ?? 0) < MinimumRsaModulusBits)
  ) {
    throw new TypeError('key does not fit its algorithm');
  }
  // The bare KeyObject where node:crypto's default for the key type is the pinned behaviour
  // (Ed25519 and ML-DSA have no options); an options object otherwise, built once, not per token.
  const key: KeyObject | SignKeyObjectInput =
    Object.keys(parameters.options).length === 0
      ? keyObject
      : { ...parameters.options, key: keyObject };
  const { digest } = parameters;
  return {
    alg,
    kid,
    sign: (signingInput) =>
      new Promise((resolve, reject) => {
        cryptoSign(digest, signingInput, key, (error, signature) => {
          if (error) reject(error);
          else resolve(signature);
        });
      }),
  };
}
