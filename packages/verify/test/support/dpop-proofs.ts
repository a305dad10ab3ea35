import { createHash, sign as nodeSign, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, type JWK, SignJWT } from 'jose';
import type { SigningKey } from '../../../../test/support/keys.ts';

/** A client's DPoP key: the signing key and the public JWK that goes into each proof. */
export interface DpopKey {
  readonly key: SigningKey;
  /** The public JWK as a proof carries it (no kid, alg or use: the RFC needs none). */
  readonly jwk: JWK;
  /** RFC 7638 thumbprint by jose, the oracle for ours. */
  readonly jkt: string;
}

export async function dpopKey(key: SigningKey): Promise<DpopKey> {
  const { kid: _kid, use: _use, alg: _alg, ...jwk } = key.publicJwk;
  return { key, jwk, jkt: await calculateJwkThumbprint(jwk, 'sha256') };
}

export const athOf = (token: string): string =>
  createHash('sha256').update(token).digest('base64url');

export interface ProofClaims {
  readonly htm: string;
  readonly htu: string;
  readonly iat?: number | string | undefined;
  readonly jti?: string | undefined;
  readonly ath?: string;
  readonly nonce?: string;
  readonly [claim: string]: unknown;
}

/** A proof signed by jose; `header` overrides (undefined removes a member). */
export async function signProof(
  client: DpopKey,
  claims: ProofClaims,
  header: Record<string, unknown> = {},
): Promise<string> {
  const payload = Object.fromEntries(
    Object.entries({
      iat: Math.floor(Date.now() / 1000),
      jti: randomBytes(16).toString('base64url'),
      ...claims,
    }).filter(([, value]) => value !== undefined),
  );
  const protectedHeader = Object.fromEntries(
    Object.entries({ alg: client.key.alg, typ: 'dpop+jwt', jwk: client.jwk, ...header }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  return new SignJWT(payload)
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(client.key.privateKey);
}

/**
 * A proof signed with node:crypto over exactly the header and payload given (RS256 or EdDSA), for
 * shapes jose refuses to sign (a `crit` it does not know, an RSA key under 2048 bits).
 */
export function signProofRaw(
  key: SigningKey,
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
): string {
  const input = `${Buffer.from(JSON.stringify(header)).toString('base64url')}.${Buffer.from(
    JSON.stringify(payload),
  ).toString('base64url')}`;
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  return `${input}.${nodeSign(digest, Buffer.from(input), key.nodePrivateKey).toString('base64url')}`;
}
