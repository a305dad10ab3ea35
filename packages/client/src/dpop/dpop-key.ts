import { WritClientError } from '../errors.ts';
import { sha256Base64url } from './base64url.ts';

/** The proof algorithms the client signs with: Ed25519 where WebCrypto has it, else P-256. */
export type DpopAlgorithm = 'EdDSA' | 'ES256';

/** A client's DPoP key: a WebCrypto pair whose private half can never be exported. */
export interface DpopKeyPair {
  readonly algorithm: DpopAlgorithm;
  readonly privateKey: CryptoKey;
  readonly publicKey: CryptoKey;
}

function subtle(): SubtleCrypto {
  const crypto = globalThis.crypto;
  // WebCrypto exists only in secure contexts (https, localhost) in browsers.
  if (crypto?.subtle === undefined) throw new WritClientError('dpop_unavailable');
  return crypto.subtle;
}

/**
 * A new key pair with `extractable: false`: the private key can sign, and nothing can read its
 * bytes — not the app, not an injected script (which can only use it while the page is open).
 * Ed25519 first (small, fast, deterministic); ES256 where the platform lacks it.
 */
export async function generateDpopKeyPair(): Promise<DpopKeyPair> {
  const crypto = subtle();
  try {
    const pair = (await crypto.generateKey({ name: 'Ed25519' }, false, [
      'sign',
      'verify',
    ])) as CryptoKeyPair;
    return { algorithm: 'EdDSA', privateKey: pair.privateKey, publicKey: pair.publicKey };
  } catch {
    // Not supported here: fall back to the curve every WebCrypto has.
  }
  try {
    const pair = await crypto.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, false, [
      'sign',
      'verify',
    ]);
    return { algorithm: 'ES256', privateKey: pair.privateKey, publicKey: pair.publicKey };
  } catch {
    throw new WritClientError('dpop_unavailable');
  }
}

/** Whether `value` is a key pair as stored: the shape, and a private key that cannot be exported. */
export function isDpopKeyPair(value: unknown): value is DpopKeyPair {
  if (typeof value !== 'object' || value === null) return false;
  const { algorithm, privateKey, publicKey } = value as Record<string, unknown>;
  return (
    (algorithm === 'EdDSA' || algorithm === 'ES256') &&
    privateKey instanceof CryptoKey &&
    publicKey instanceof CryptoKey &&
    privateKey.type === 'private' &&
    !privateKey.extractable &&
    publicKey.type === 'public'
  );
}

/** The public JWK a proof carries: only the members that make the key (no `d`, ever). */
export async function publicJwkOf(pair: DpopKeyPair): Promise<JsonWebKey> {
  const jwk = await subtle().exportKey('jwk', pair.publicKey);
  return pair.algorithm === 'EdDSA'
    ? { kty: 'OKP', crv: 'Ed25519', x: jwk.x as string }
    : { kty: 'EC', crv: 'P-256', x: jwk.x as string, y: jwk.y as string };
}

/** RFC 7638 thumbprint: what `cnf.jkt` of a token bound to this key holds. */
export function jwkThumbprint(jwk: JsonWebKey): Promise<string> {
  const canonical =
    jwk.kty === 'OKP'
      ? `{"crv":"${jwk.crv}","kty":"OKP","x":"${jwk.x}"}`
      : `{"crv":"${jwk.crv}","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`;
  return sha256Base64url(canonical);
}

/** Signs `input` the way JWS wants it: Ed25519 as is, ECDSA as raw R‖S (WebCrypto's own format). */
export async function signWith(pair: DpopKeyPair, input: Uint8Array): Promise<Uint8Array> {
  const algorithm =
    pair.algorithm === 'EdDSA' ? { name: 'Ed25519' } : { name: 'ECDSA', hash: 'SHA-256' };
  return new Uint8Array(await subtle().sign(algorithm, pair.privateKey, input as BufferSource));
}
