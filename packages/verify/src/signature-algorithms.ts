import { constants } from 'node:crypto';
import type { AsymmetricAlgorithm, JwsAlgorithm } from '@writ/core';

/**
 * What node:crypto needs to check one JWS algorithm (RFC 7518 §3), pinned here and nowhere else.
 * Everything a verify passes to node:crypto beside the key comes from this table, never from the
 * token: the header only picks a row the verifier allows, and a row cannot be reshaped by it.
 */
export type SignatureParameters =
  | {
      /** Ed25519 (RFC 8037): the digest is part of the scheme, so node:crypto takes `null`. */
      readonly family: 'eddsa';
      readonly digest: null;
    }
  | {
      /**
       * ML-DSA (FIPS 204; JOSE names from draft-ietf-cose-dilithium): node:crypto signs and checks
       * the message itself (`null` digest), with the empty context and no pre-hash, as jose does.
       * The parameter set is the key's type (`ml-dsa-44`, `ml-dsa-65`), checked when the key is
       * indexed, so a key of one set never checks a token of the other.
       */
      readonly family: 'ml-dsa';
      readonly digest: null;
      /** FIPS 204 fixes the signature length per parameter set: any other is refused unread. */
      readonly signatureBytes: number;
    }
  | {
      /** ECDSA with the signature as R‖S of fixed width (RFC 7518 §3.4), not DER. */
      readonly family: 'ecdsa';
      readonly digest: string;
      readonly dsaEncoding: 'ieee-p1363';
      /** R‖S length in bytes: a signature of any other length is refused before the maths. */
      readonly signatureBytes: number;
    }
  | {
      readonly family: 'rsa';
      readonly digest: string;
      readonly padding: number;
      /** PSS only: the salt is as long as the digest (RFC 7518 §3.5); -1 would accept any. */
      readonly saltLength: number | undefined;
    }
  | {
      readonly family: 'hmac';
      readonly digest: string;
      /** The MAC length: a shorter (truncated) tag is refused, not compared on its prefix. */
      readonly macBytes: number;
    };

const ecdsa = (digest: string, signatureBytes: number): SignatureParameters => ({
  family: 'ecdsa',
  digest,
  dsaEncoding: 'ieee-p1363',
  signatureBytes,
});
const pkcs1 = (digest: string): SignatureParameters => ({
  family: 'rsa',
  digest,
  padding: constants.RSA_PKCS1_PADDING,
  saltLength: undefined,
});
const pss = (digest: string, saltLength: number): SignatureParameters => ({
  family: 'rsa',
  digest,
  padding: constants.RSA_PKCS1_PSS_PADDING,
  saltLength,
});
const hmac = (digest: string, macBytes: number): SignatureParameters => ({
  family: 'hmac',
  digest,
  macBytes,
});

export const signatureParameters: Readonly<Record<JwsAlgorithm, SignatureParameters>> = {
  EdDSA: { family: 'eddsa', digest: null },
  Ed25519: { family: 'eddsa', digest: null },
  ES256: ecdsa('sha256', 64),
  ES384: ecdsa('sha384', 96),
  // P-521 coordinates are 66 bytes each.
  ES512: ecdsa('sha512', 132),
  RS256: pkcs1('sha256'),
  RS384: pkcs1('sha384'),
  RS512: pkcs1('sha512'),
  PS256: pss('sha256', 32),
  PS384: pss('sha384', 48),
  PS512: pss('sha512', 64),
  'ML-DSA-44': { family: 'ml-dsa', digest: null, signatureBytes: 2420 },
  'ML-DSA-65': { family: 'ml-dsa', digest: null, signatureBytes: 3309 },
  HS256: hmac('sha256', 32),
  HS384: hmac('sha384', 48),
  HS512: hmac('sha512', 64),
};

/** The key type and curve node:crypto must report for a key used with each asymmetric algorithm. */
export const keyTypeFor: Readonly<
  Record<AsymmetricAlgorithm, { readonly type: string; readonly curve?: string }>
> = {
  EdDSA: { type: 'ed25519' },
  Ed25519: { type: 'ed25519' },
  ES256: { type: 'ec', curve: 'prime256v1' },
  ES384: { type: 'ec', curve: 'secp384r1' },
  ES512: { type: 'ec', curve: 'secp521r1' },
  RS256: { type: 'rsa' },
  RS384: { type: 'rsa' },
  RS512: { type: 'rsa' },
  PS256: { type: 'rsa' },
  PS384: { type: 'rsa' },
  PS512: { type: 'rsa' },
  'ML-DSA-44': { type: 'ml-dsa-44' },
  'ML-DSA-65': { type: 'ml-dsa-65' },
};
