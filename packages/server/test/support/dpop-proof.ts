import { createHash, randomUUID } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, type JWK, SignJWT } from 'jose';

/** A client's DPoP key pair, with its RFC 7638 thumbprint (what a bound token's `cnf.jkt` holds). */
export interface ProofKey {
  readonly privateKey: CryptoKey;
  readonly jwk: JWK;
  readonly jkt: string;
}

export async function proofKey(): Promise<ProofKey> {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const jwk = await exportJWK(publicKey);
  return { privateKey, jwk, jkt: await calculateJwkThumbprint(jwk) };
}

export interface ProofClaims {
  readonly htm: string;
  readonly htu: string;
  readonly nonce?: string | undefined;
  /** Bound into `ath`, for a proof presented with this access token at a resource. */
  readonly accessToken?: string | undefined;
  /** Default: now. */
  readonly iatSec?: number | undefined;
}

/** A DPoP proof (RFC 9449) made with jose, independent of Writ's own prover. */
export function dpopProof(key: ProofKey, claims: ProofClaims): Promise<string> {
  return new SignJWT({
    htm: claims.htm,
    htu: claims.htu,
    jti: randomUUID(),
    ...(claims.nonce === undefined ? {} : { nonce: claims.nonce }),
    ...(claims.accessToken === undefined
      ? {}
      : { ath: createHash('sha256').update(claims.accessToken).digest('base64url') }),
  })
    .setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: key.jwk })
    .setIssuedAt(claims.iatSec ?? Math.floor(Date.now() / 1000))
    .sign(key.privateKey);
}
