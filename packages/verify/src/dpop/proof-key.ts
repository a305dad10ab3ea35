import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { type AsymmetricAlgorithm, MinimumRsaModulusBits } from '@writ/core';
import { isCanonicalBase64url } from '../base64url.ts';
import { keyTypeFor } from '../signature-algorithms.ts';
import { rejectProof } from './reasons.ts';

/**
 * JWK members that belong to a private or symmetric key (RFC 7518 §6.2.2, §6.3.2, §6.4). A proof
 * carrying one has published its own secret: it is refused, never used.
 */
const privateMembers = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/**
 * The RFC 7638 members of each key type, in the lexicographic order the thumbprint is built in.
 * They alone determine the public key, so a key is known by its thumbprint.
 */
const thumbprintMembers: Readonly<Record<string, readonly string[]>> = {
  EC: ['crv', 'kty', 'x', 'y'],
  OKP: ['crv', 'kty', 'x'],
  RSA: ['e', 'kty', 'n'],
};

/** The JWK `kty` and `crv` each proof algorithm needs; anything else is refused before import. */
const jwkShapeFor: Readonly<Record<string, { readonly kty: string; readonly crv?: string }>> = {
  ed25519: { kty: 'OKP', crv: 'Ed25519' },
  prime256v1: { kty: 'EC', crv: 'P-256' },
  secp384r1: { kty: 'EC', crv: 'P-384' },
  secp521r1: { kty: 'EC', crv: 'P-521' },
  rsa: { kty: 'RSA' },
};

function expectedShape(alg: AsymmetricAlgorithm): { readonly kty: string; readonly crv?: string } {
  const expected = keyTypeFor[alg];
  const shape = jwkShapeFor[expected.curve ?? expected.type];
  if (shape === undefined) rejectProof('dpop_alg_not_allowed');
  return shape;
}

/** A proof's public key, checked and imported, with its RFC 7638 thumbprint. */
export interface ProofKey {
  readonly keyObject: KeyObject;
  /** base64url(SHA-256) of the key's canonical JSON (RFC 7638): what `cnf.jkt` holds. */
  readonly jkt: string;
}

/**
 * RFC 7638 thumbprint of a public JWK whose required members are checked to be canonical
 * base64url strings (`kty`, `crv` compared by the caller). The JSON is built by hand in the
 * fixed member order with no whitespace, which is exactly RFC 7638's canonical form for these
 * ASCII-only values.
 */
export function jwkThumbprint(jwk: Readonly<Record<string, unknown>>): string {
  const kty = jwk.kty;
  const members = typeof kty === 'string' ? thumbprintMembers[kty] : undefined;
  if (members === undefined) rejectProof('dpop_bad_key');
  const parts: string[] = [];
  for (const name of members) {
    const value = jwk[name];
    if (typeof value !== 'string' || value === '') rejectProof('dpop_bad_key');
    if (name !== 'kty' && name !== 'crv' && !isCanonicalBase64url(value)) {
      rejectProof('dpop_bad_key');
    }
    if (name === 'crv' && !/^[A-Za-z0-9-]+$/.test(value)) rejectProof('dpop_bad_key');
    parts.push(`"${name}":"${value}"`);
  }
  return createHash('sha256')
    .update(`{${parts.join(',')}}`, 'latin1')
    .digest('base64url');
}

/**
 * Checks the `jwk` header of a proof and imports it: a public key only, of the type and curve the
 * proof's `alg` needs, RSA at least 2048 bits. Refuses with `dpop_bad_key` otherwise.
 */
export function proofKeyFrom(jwk: unknown, alg: AsymmetricAlgorithm): ProofKey {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) rejectProof('dpop_bad_key');
  const members = jwk as Record<string, unknown>;
  for (const name of privateMembers) {
    if (name in members) rejectProof('dpop_bad_key');
  }
  const shape = expectedShape(alg);
  if (members.kty !== shape.kty) rejectProof('dpop_bad_key');
  if (shape.crv !== undefined && members.crv !== shape.crv) rejectProof('dpop_bad_key');
  // `alg` and `use` inside the JWK are optional; when present they must not contradict the proof.
  if (members.alg !== undefined && members.alg !== alg) rejectProof('dpop_bad_key');
  if (members.use !== undefined && members.use !== 'sig') rejectProof('dpop_bad_key');
  const jkt = jwkThumbprint(members);
  let keyObject: KeyObject;
  try {
    // Only the thumbprint members go in: they determine the key, and nothing else of an
    // attacker's JSON reaches the importer.
    const required: Record<string, string> = {};
    for (const name of thumbprintMembers[shape.kty] ?? []) required[name] = members[name] as string;
    keyObject = createPublicKey({ key: required, format: 'jwk' });
  } catch {
    rejectProof('dpop_bad_key');
  }
  const expected = keyTypeFor[alg];
  if (keyObject.type !== 'public' || keyObject.asymmetricKeyType !== expected.type) {
    rejectProof('dpop_bad_key');
  }
  const details = keyObject.asymmetricKeyDetails;
  if (expected.curve !== undefined && details?.namedCurve !== expected.curve) {
    rejectProof('dpop_bad_key');
  }
  if (expected.type === 'rsa' && (details?.modulusLength ?? 0) < MinimumRsaModulusBits) {
    rejectProof('dpop_bad_key');
  }
  return { keyObject, jkt };
}
