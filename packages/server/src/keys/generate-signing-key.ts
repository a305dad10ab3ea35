import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose';
import { seal } from '../platform/crypto/sealed-box.ts';
import type { SigningKeyRecord } from './signing-key-record.ts';

const defaultAlgorithm = 'EdDSA';

/**
 * A fresh signing key, its private half sealed under the master key with the kid bound as
 * additional data (a sealed key copied onto another row will not open).
 */
export async function generateSigningKey(
  masterKey: Uint8Array,
  state: 'next' | 'active',
  nowMs: number,
): Promise<SigningKeyRecord> {
  const { publicKey, privateKey } = await generateKeyPair(defaultAlgorithm, { extractable: true });
  const publicJwk = await exportJWK(publicKey);
  // The RFC 7638 thumbprint as kid: stable, derived from the key, reveals nothing else.
  const kid = await calculateJwkThumbprint(publicJwk);
  const privateJwk = await exportJWK(privateKey);
  return {
    kid,
    alg: defaultAlgorithm,
    state,
    publicJwk: JSON.stringify({ ...publicJwk, kid, alg: defaultAlgorithm, use: 'sig' }),
    sealedPrivateJwk: seal(masterKey, JSON.stringify(privateJwk), kid),
    createdAt: nowMs,
    activatedAt: state === 'active' ? nowMs : null,
    retiredAt: null,
  };
}
