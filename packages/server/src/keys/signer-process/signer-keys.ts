import { sign as cryptoSign, KeyObject, type SignKeyObjectInput } from 'node:crypto';
import { MinimumRsaModulusBits } from '@writ/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { SigningAlgorithm } from '../key-custody.ts';
import { signingParameters } from '../node-signing.ts';

export const signerAlgorithms: readonly SigningAlgorithm[] = [
  'EdDSA',
  'ES256',
  'PS256',
  'RS256',
  'ML-DSA-44',
  'ML-DSA-65',
];

export function isSignerAlgorithm(value: unknown): value is SigningAlgorithm {
  return typeof value === 'string' && (signerAlgorithms as readonly string[]).includes(value);
}

/** A key the signer just made; `privateJwk` never leaves the signer process. */
export interface GeneratedKey {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly publicJwk: JWK;
  readonly privateJwk: JWK;
}

export async function generateKey(alg: SigningAlgorithm): Promise<GeneratedKey> {
  const { publicKey, privateKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(alg === 'PS256' || alg === 'RS256' ? { modulusLength: MinimumRsaModulusBits } : {}),
  });
  const bare = await exportJWK(publicKey);
  // RFC 7638 thumbprint as kid, as for every custody: derived from the key, reveals nothing else.
  const kid = await calculateJwkThumbprint(bare);
  return {
    kid,
    alg,
    publicJwk: { ...bare, kid, alg, use: 'sig' },
    privateJwk: await exportJWK(privateKey),
  };
}

interface Parameters {
  readonly digest: string | null;
  readonly keyType: string;
  readonly namedCurve?: string;
  readonly options: Omit<SignKeyObjectInput, 'key'>;
}

/**
 * node:crypto's parameters per algorithm come from the one table the service pins them in
 * (keys/node-signing.ts); ML-DSA, which that table does not cover, signs the message itself
 * (no pre-hash, no options; FIPS 204 pure mode as JOSE uses it).
 */
function parametersFor(alg: SigningAlgorithm): Parameters {
  if (alg === 'ML-DSA-44' || alg === 'ML-DSA-65') {
    return { digest: null, keyType: alg.toLowerCase(), options: {} };
  }
  return signingParameters[alg];
}

/** Signs raw bytes with one private key, on the libuv threadpool (never the event loop). */
export type SignBytes = (input: Uint8Array) => Promise<Buffer>;

/**
 * Imports a stored private JWK (jose parses and validates it) and binds it to its algorithm,
 * checking again that the key is the type, curve and size the algorithm needs.
 */
export async function openPrivateKey(alg: SigningAlgorithm, privateJwk: JWK): Promise<SignBytes> {
  const imported = await importJWK(privateJwk, alg, { extractable: true });
  if (!(imported instanceof CryptoKey) || imported.type !== 'private') {
    throw new TypeError('not a private key');
  }
  const keyObject = KeyObject.from(imported);
  const parameters = parametersFor(alg);
  const details = keyObject.asymmetricKeyDetails;
  if (
    keyObject.asymmetricKeyType !== parameters.keyType ||
    (parameters.namedCurve !== undefined && details?.namedCurve !== parameters.namedCurve) ||
    (parameters.keyType === 'rsa' && (details?.modulusLength ?? 0) < MinimumRsaModulusBits)
  ) {
    throw new TypeError('key does not fit its algorithm');
  }
  const key: KeyObject | SignKeyObjectInput =
    Object.keys(parameters.options).length === 0
      ? keyObject
      : { ...parameters.options, key: keyObject };
  return (input) =>
    new Promise((resolve, reject) => {
      cryptoSign(parameters.digest, input, key, (error, signature) => {
        if (error) reject(error);
        else resolve(signature);
      });
    });
}
