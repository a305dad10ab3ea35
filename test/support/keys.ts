import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { exportJWK, importJWK, type JWK } from 'jose';

export interface SigningKey {
  readonly kid: string;
  readonly alg: string;
  readonly privateKey: CryptoKey;
  readonly publicJwk: JWK;
  /** The same private key for node:crypto, to forge what jose will not sign. */
  readonly nodePrivateKey: KeyObject;
}

async function fromNodePair(
  kid: string,
  alg: string,
  pair: ReturnType<typeof generateKeyPairSync>,
  publicExtras: Partial<JWK> = {},
): Promise<SigningKey> {
  const privateJwk = pair.privateKey.export({ format: 'jwk' }) as JWK;
  const publicJwk = pair.publicKey.export({ format: 'jwk' }) as JWK;
  return {
    kid,
    alg,
    privateKey: (await importJWK(privateJwk, alg)) as CryptoKey,
    publicJwk: { ...publicJwk, kid, use: 'sig', alg, ...publicExtras },
    nodePrivateKey: pair.privateKey,
  };
}

export function ed25519(kid: string, extras?: Partial<JWK>): Promise<SigningKey> {
  return fromNodePair(kid, 'EdDSA', generateKeyPairSync('ed25519'), extras);
}

export function p256(kid: string, extras?: Partial<JWK>): Promise<SigningKey> {
  return fromNodePair(kid, 'ES256', generateKeyPairSync('ec', { namedCurve: 'P-256' }), extras);
}

export function rsa(kid: string, bits = 2048, extras?: Partial<JWK>): Promise<SigningKey> {
  return fromNodePair(kid, 'RS256', generateKeyPairSync('rsa', { modulusLength: bits }), extras);
}

export async function publicJwkOf(key: CryptoKey): Promise<JWK> {
  return exportJWK(key);
}
