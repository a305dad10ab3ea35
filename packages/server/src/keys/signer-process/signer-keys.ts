import { MinimumRsaModulusBits } from '@writ/core';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import type { KeyHandle, SigningAlgorithm } from '../key-custody.ts';
import { nodeSigningKey } from '../node-signing.ts';

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

/** Signs raw bytes with one private key, on the libuv threadpool (never the event loop). */
export type SignBytes = KeyHandle['sign'];

/**
 * Imports a stored private JWK (jose parses and validates it) and binds it to its algorithm
 * through the service's one node:crypto signing table (keys/node-signing.ts), which checks the
 * key is the type, curve and size the algorithm needs.
 */
export async function openPrivateKey(
  alg: SigningAlgorithm,
  kid: string,
  privateJwk: JWK,
): Promise<SignBytes> {
  const imported = await importJWK(privateJwk, alg, { extractable: true });
  if (!(imported instanceof CryptoKey)) throw new TypeError('not a private key');
  return nodeSigningKey(alg, kid, imported).sign;
}
