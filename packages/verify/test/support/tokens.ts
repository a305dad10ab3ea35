import { createHmac, sign as nodeSign } from 'node:crypto';
import { type JWTPayload, SignJWT } from 'jose';
import type { SigningKey } from '../../../../test/support/keys.ts';

export const issuer = 'https://issuer.writ.test';
export const audience = 'https://api.writ.test';

export const nowSec = (): number => Math.floor(Date.now() / 1000);

export const b64 = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');
export const b64json = (value: unknown): string => b64(JSON.stringify(value));

/** Claims of a valid access token, to be overridden per case. */
export function validClaims(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const now = nowSec();
  return {
    iss: issuer,
    sub: 'usr_4f9a1c2e7b',
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + 600,
    jti: `jti-${Math.random().toString(36).slice(2)}`,
    scope: 'read write',
    client_id: 'app',
    ...overrides,
  };
}

/** Signs with jose; `header` fields override the defaults, `undefined` removes one. */
export async function sign(
  key: SigningKey,
  claims: Record<string, unknown> = validClaims(),
  header: Record<string, unknown> = {},
): Promise<string> {
  const protectedHeader = Object.fromEntries(
    Object.entries({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header }).filter(
      ([, value]) => value !== undefined,
    ),
  );
  const payload = Object.fromEntries(
    Object.entries(claims).filter(([, value]) => value !== undefined),
  ) as JWTPayload;
  return new SignJWT(payload)
    .setProtectedHeader(protectedHeader as { alg: string })
    .sign(key.privateKey);
}

/** Builds a token from raw segments, for shapes jose refuses to produce. */
export function assemble(header: unknown, payload: unknown, signature = ''): string {
  const h = typeof header === 'string' ? header : b64json(header);
  const p = typeof payload === 'string' ? payload : b64json(payload);
  return `${h}.${p}.${signature}`;
}

/** HMAC over the signing input with an arbitrary secret: the classic key-confusion forgery. */
export function hmacForge(
  header: Record<string, unknown>,
  claims: unknown,
  secret: string | Buffer,
): string {
  const input = `${b64json(header)}.${b64json(claims)}`;
  const signature = createHmac('sha256', secret).update(input).digest('base64url');
  return `${input}.${signature}`;
}

/** Replaces one segment of a compact token. */
export function withSegment(token: string, index: 0 | 1 | 2, segment: string): string {
  const parts = token.split('.');
  parts[index] = segment;
  return parts.join('.');
}

/** Signs any header and payload segment with node:crypto, for tokens jose refuses to produce. */
export function forge(
  key: SigningKey,
  header: Record<string, unknown>,
  payloadSegment: string,
): string {
  const input = `${b64json({ alg: key.alg, typ: 'at+jwt', kid: key.kid, ...header })}.${payloadSegment}`;
  const digest = key.alg === 'EdDSA' ? null : 'sha256';
  const signature = nodeSign(digest, Buffer.from(input), {
    key: key.nodePrivateKey,
    dsaEncoding: 'ieee-p1363',
  });
  return `${input}.${b64(signature)}`;
}
