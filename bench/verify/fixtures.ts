/**
 * Keys and realistic Writ access tokens for the verify benchmarks. Tokens are signed with
 * node:crypto directly so no contender's own signer takes part in what is measured.
 */
import {
  createHmac,
  createSecretKey,
  generateKeyPairSync,
  type KeyObject,
  randomBytes,
  sign,
} from 'node:crypto';
import type { JsonWebKeySet } from '@writ/verify';
import type { JWK } from 'jose';

export const issuer = 'https://auth.writ.example';
export const audience = 'https://api.writ.example';
export const tokenType = 'at+jwt';

export const benchAlgorithms = ['EdDSA', 'ES256', 'RS256', 'HS256'] as const;
export type BenchAlgorithm = (typeof benchAlgorithms)[number];

/** One key and one valid token signed with it. */
export interface Fixture {
  readonly alg: BenchAlgorithm;
  readonly kid: string;
  /** A valid access token (expires 600 s after it was made). */
  readonly token: string;
  /** The same token with one signature byte changed: every contender must refuse it. */
  readonly forged: string;
  /** The verification key for node:crypto and jsonwebtoken (public key, or secret for HS256). */
  readonly verifyKey: KeyObject;
  /** SPKI PEM of the public key (fast-jwt); the raw secret for HS256. */
  readonly fastJwtKey: string | Buffer;
  /** The published JWK (`kid`, `use`, `alg`); undefined for HS256. */
  readonly publicJwk: JWK | undefined;
  /** The shared secret for HS256 (32 bytes); undefined otherwise. */
  readonly secret: Uint8Array | undefined;
}

const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

const opaqueId = (prefix: string, bytes = 16): string =>
  `${prefix}${randomBytes(bytes).toString('base64url')}`;

/** Claims of a Writ access token as the token service issues them (RFC 9068 shape). */
export function accessClaims(nowSec = Math.floor(Date.now() / 1000)): Record<string, unknown> {
  return {
    iss: issuer,
    sub: opaqueId('usr_', 12),
    aud: audience,
    exp: nowSec + 600,
    iat: nowSec,
    nbf: nowSec,
    jti: opaqueId(''),
    sid: opaqueId('ses_', 12),
    scope: 'openid profile read:orders write:orders',
    client_id: 'app_web_7f3k2',
  };
}

type Signer = (input: Buffer) => Buffer;

interface KeyMaterial {
  readonly sign: Signer;
  readonly verifyKey: KeyObject;
  readonly fastJwtKey: string | Buffer;
  readonly publicJwk: JWK | undefined;
  readonly secret: Uint8Array | undefined;
}

function asymmetric(
  pair: { publicKey: KeyObject; privateKey: KeyObject },
  kid: string,
  alg: BenchAlgorithm,
  signer: Signer,
): KeyMaterial {
  return {
    sign: signer,
    verifyKey: pair.publicKey,
    fastJwtKey: pair.publicKey.export({ format: 'pem', type: 'spki' }).toString(),
    publicJwk: { ...(pair.publicKey.export({ format: 'jwk' }) as JWK), kid, use: 'sig', alg },
    secret: undefined,
  };
}

/** A fresh key of the algorithm's type, with its signer. */
function keyMaterial(alg: BenchAlgorithm, kid: string): KeyMaterial {
  switch (alg) {
    case 'EdDSA': {
      const pair = generateKeyPairSync('ed25519');
      return asymmetric(pair, kid, alg, (input) => sign(null, input, pair.privateKey));
    }
    case 'ES256': {
      const pair = generateKeyPairSync('ec', { namedCurve: 'P-256' });
      return asymmetric(pair, kid, alg, (input) =>
        sign('sha256', input, { key: pair.privateKey, dsaEncoding: 'ieee-p1363' }),
      );
    }
    case 'RS256': {
      const pair = generateKeyPairSync('rsa', { modulusLength: 2048 });
      return asymmetric(pair, kid, alg, (input) => sign('sha256', input, pair.privateKey));
    }
    case 'HS256': {
      const secret = randomBytes(32);
      return {
        sign: (input) => createHmac('sha256', secret).update(input).digest(),
        verifyKey: createSecretKey(secret),
        fastJwtKey: Buffer.from(secret),
        publicJwk: undefined,
        secret: new Uint8Array(secret),
      };
    }
  }
}

function signToken(alg: BenchAlgorithm, kid: string, signer: Signer): string {
  const header = b64url(JSON.stringify({ alg, typ: tokenType, kid }));
  const payload = b64url(JSON.stringify(accessClaims()));
  const input = `${header}.${payload}`;
  return `${input}.${b64url(signer(Buffer.from(input)))}`;
}

/** Flips one bit in the middle of the signature, keeping the segment canonical base64url. */
function forge(token: string): string {
  const dot = token.lastIndexOf('.');
  const signature = Buffer.from(token.slice(dot + 1), 'base64url');
  const middle = signature.length >> 1;
  signature[middle] = (signature[middle] ?? 0) ^ 0x01;
  return `${token.slice(0, dot)}.${b64url(signature)}`;
}

export function createFixture(alg: BenchAlgorithm): Fixture {
  const kid = `${alg.toLowerCase()}-2026-01`;
  const material = keyMaterial(alg, kid);
  const token = signToken(alg, kid, material.sign);
  return {
    alg,
    kid,
    token,
    forged: forge(token),
    verifyKey: material.verifyKey,
    fastJwtKey: material.fastJwtKey,
    publicJwk: material.publicJwk,
    secret: material.secret,
  };
}

/** A key set of `size` keys of the fixture's type: `size - 1` others, then the fixture's own key last. */
export function keySetAround(fixture: Fixture, size: number): JsonWebKeySet {
  if (fixture.publicJwk === undefined) throw new Error(`${fixture.alg} has no key set`);
  const others: JWK[] = [];
  for (let i = 1; i < size; i++) {
    const other = keyMaterial(fixture.alg, `${fixture.alg.toLowerCase()}-other-${i}`).publicJwk;
    if (other !== undefined) others.push(other);
  }
  return { keys: [...others, fixture.publicJwk] };
}
