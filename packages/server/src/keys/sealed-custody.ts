import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { open, seal } from '../platform/crypto/sealed-box.ts';
import { KeyCustodyError } from './errors.ts';
import type { KeyCustody, SigningAlgorithm } from './key-custody.ts';
import { nodeSigningKey } from './node-signing.ts';

/**
 * RSA keys are 2048 bits: the floor the issue (and RFC 7518 §3.3) sets, as strong as NIST asks
 * through 2030, and a third of 3072 bits' signing cost on the token endpoint (docs/keys.md#decisions).
 */
const rsaModulusBits = 2048;

/**
 * Keys kept in the service's own database: the private JWK sealed (AES-256-GCM) under the master
 * key, with the kid bound as additional data so a sealed key copied onto another row will not
 * open. What the service did before custody was a choice, so keys stored then open unchanged.
 * Retirement needs nothing from it: the key ring erases the sealed half from the row.
 */
export function createSealedCustody(masterKey: Uint8Array): KeyCustody {
  return {
    kind: 'sealed',

    async create(alg: SigningAlgorithm) {
      const { publicKey, privateKey } = await generateKeyPair(alg, {
        extractable: true,
        ...(alg === 'RS256' || alg === 'PS256' ? { modulusLength: rsaModulusBits } : {}),
      });
      const publicJwk = await exportJWK(publicKey);
      // The RFC 7638 thumbprint as kid: stable, derived from the key, reveals nothing else.
      const kid = await calculateJwkThumbprint(publicJwk);
      const privateJwk = await exportJWK(privateKey);
      return {
        kid,
        alg,
        publicJwk: { ...publicJwk, kid, alg, use: 'sig' },
        custodyRef: seal(masterKey, JSON.stringify(privateJwk), kid),
      };
    },

    async open(key) {
      if (key.custodyRef === '')
        throw new KeyCustodyError('the key was retired: its private half is gone');
      const privateJwk = JSON.parse(open(masterKey, key.custodyRef, key.kid)) as JWK;
      // jose parses and validates the JWK; node:crypto signs with the KeyObject built from it.
      const privateKey = (await importJWK(privateJwk, key.alg, { extractable: true })) as CryptoKey;
      try {
        return nodeSigningKey(key.alg, key.kid, privateKey);
      } catch {
        throw new KeyCustodyError('the key does not fit its algorithm');
      }
    },

    async stateChanged() {},

    async close() {},
  };
}
