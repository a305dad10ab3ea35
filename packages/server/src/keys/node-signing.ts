import { constants, sign as cryptoSign, KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { type AsymmetricAlgorithm, MinimumRsaModulusBits } from '@writ/core';
import type { SignRequest } from './signer.ts';

/**
 * What node:crypto needs to produce one JWS algorithm's signature (RFC 7518 §3, RFC 8037),
 * pinned here and nowhere else in the service: the digest, the key type (and curve) the key must
 * be, and the options node:crypto takes beside the key.
 */
interface SigningParameters {
  readonly digest: string | null;
  readonly keyType: 'ed25519' | 'ec' | 'rsa';
  /** The curve node:crypto must report for an `ec` key. */
  readonly namedCurve?: string;
  readonly options: Omit<SignKeyObjectInput, 'key'>;
}

const eddsa: SigningParameters = {
  digest: null,
  keyType: 'ed25519',
  options: {},
};
const ecdsa = (digest: string, namedCurve: string): SigningParameters => ({
  digest,
  keyType: 'ec',
  namedCurve,
  // JWS carries R‖S at fixed width (RFC 7518 §3.4), not node:crypto's default DER.
  options: { dsaEncoding: 'ieee-p1363' },
});
const pkcs1 = (digest: string): SigningParameters => ({
  digest,
  keyType: 'rsa',
  options: { padding: constants.RSA_PKCS1_PADDING },
});
const pss = (digest: string, saltLength: number): SigningParameters => ({
  digest,
  keyType: 'rsa',
  // The salt is as long as the digest (RFC 7518 §3.5); node:crypto's default would be the maximum.
  options: { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength },
});

export const signingParameters: Readonly<Record<AsymmetricAlgorithm, SigningParameters>> = {
  EdDSA: eddsa,
  Ed25519: eddsa,
  ES256: ecdsa('sha256', 'prime256v1'),
  ES384: ecdsa('sha384', 'secp384r1'),
  ES512: ecdsa('sha512', 'secp521r1'),
  RS256: pkcs1('sha256'),
  RS384: pkcs1('sha384'),
  RS512: pkcs1('sha512'),
  PS256: pss('sha256', 32),
  PS384: pss('sha384', 48),
  PS512: pss('sha512', 64),
};

/** A private key bound to one algorithm and kid, ready to sign compact JWTs. */
export interface NodeSigningKey {
  readonly alg: AsymmetricAlgorithm;
  readonly kid: string;
  sign(request: SignRequest): Promise<string>;
}

/** Encoded protected headers by `typ`: the few kinds of token the service signs, bounded anyway. */
const maxCachedHeaders = 32;

/**
 * Binds a private key that jose imported (`importJWK`) to `alg`. jose stays the JWK parser: the
 * `KeyObject` is taken from its `CryptoKey` (`KeyObject.from`, which needs the key imported
 * extractable — a `KeyObject` in this process can be exported whatever the flag says), built
 * once per key, and checked again to be the type, curve and size its algorithm needs.
 *
 * `sign` produces exactly what jose's `SignJWT` does for the same request: the header
 * `{ alg, typ, kid }` in that order and the claims as `JSON.stringify` writes them, each
 * base64url-encoded, then the signature over `header.payload` (test/node-signing.test.ts holds
 * every algorithm to jose's verdict).
 */
export function nodeSigningKey(
  alg: AsymmetricAlgorithm,
  kid: string,
  privateKey: CryptoKey,
): NodeSigningKey {
  if (privateKey.type !== 'private') throw new TypeError('not a private key');
  const keyObject = KeyObject.from(privateKey);
  const parameters = signingParameters[alg];
  const details = keyObject.asymmetricKeyDetails;
  if (
    keyObject.asymmetricKeyType !== parameters.keyType ||
    (parameters.namedCurve !== undefined && details?.namedCurve !== parameters.namedCurve) ||
    (parameters.keyType === 'rsa' && (details?.modulusLength ?? 0) < MinimumRsaModulusBits)
  ) {
    throw new TypeError('key does not fit its algorithm');
  }
  // The bare KeyObject where node:crypto's default for the key type is the pinned behaviour
  // (Ed25519 has no options); an options object otherwise, built once here, not per token.
  const key: KeyObject | SignKeyObjectInput =
    Object.keys(parameters.options).length === 0
      ? keyObject
      : { ...parameters.options, key: keyObject };
  const headers = new Map<string, string>();
  const encodedHeader = (typ: string): string => {
    const cached = headers.get(typ);
    if (cached !== undefined) return cached;
    const encoded = Buffer.from(JSON.stringify({ alg, typ, kid })).toString('base64url');
    if (headers.size < maxCachedHeaders) headers.set(typ, encoded);
    return encoded;
  };

  /**
   * Every signature runs on the libuv threadpool (crypto.sign's callback form), none on the event
   * loop. Measured on the 2-core VM: an Ed25519 signature costs the main thread 65-100 µs inline
   * and 17-25 µs as a threadpool job (the rest runs on the other core), so a main-thread-bound
   * token endpoint serves more with it (docs/oauth/token.md); an RSA signature (about 1 ms)
   * would otherwise stall every other request.
   */
  const signOnThreadpool = (input: string): Promise<string> =>
    new Promise((resolve, reject) => {
      cryptoSign(parameters.digest, Buffer.from(input), key, (error, signature) => {
        if (error) reject(error);
        else resolve(signature.toString('base64url'));
      });
    });

  return {
    alg,
    kid,
    async sign(request) {
      const payload = Buffer.from(JSON.stringify({ ...request.claims })).toString('base64url');
      const input = `${encodedHeader(request.typ)}.${payload}`;
      return `${input}.${await signOnThreadpool(input)}`;
    },
  };
}
