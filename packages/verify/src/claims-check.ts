import type { AccessTokenClaims } from '@writ/core';
import { reject } from './rejection.ts';

export interface ClaimsPolicy {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number | undefined;
}

function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value !== '';
}

function optional<T>(value: unknown, guard: (value: unknown) => value is T): boolean {
  return value === undefined || guard(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isAudience(value: unknown): value is string | string[] {
  if (typeof value === 'string') return value !== '';
  return Array.isArray(value) && value.length > 0 && value.every(isNonEmptyString);
}

/**
 * Checks that the claims have the shape of an access token (RFC 9068 §2.2) and were meant for
 * this verifier (exact `iss`, `aud` contains ours). These results cannot change for a given
 * token, but they are cheap and run on every call anyway so a cached token is judged exactly as
 * a fresh one. A `cnf` (sender constraint) is judged after the signature, on every verify, with
 * the request's proof (dpop/token-binding.ts).
 */
export function checkClaimShapes(
  claims: Record<string, unknown>,
  policy: ClaimsPolicy,
): AccessTokenClaims {
  const { iss, aud, exp, iat, nbf, sub, jti } = claims;
  if (
    !isNumericDate(exp) ||
    !isNumericDate(iat) ||
    !optional(nbf, isNumericDate) ||
    !isNonEmptyString(sub) ||
    !isNonEmptyString(jti) ||
    !isNonEmptyString(iss) ||
    !isAudience(aud) ||
    !optional(claims.scope, isString) ||
    !optional(claims.sid, isNonEmptyString) ||
    !optional(claims.client_id, isNonEmptyString) ||
    !optional(claims.cnf, isPlainObject)
  ) {
    reject('bad_claims');
  }
  if (iss !== policy.issuer) reject('issuer_mismatch');
  if (
    typeof aud === 'string' ? !policy.audiences.has(aud) : !aud.some((a) => policy.audiences.has(a))
  ) {
    reject('audience_mismatch');
  }
  return claims as AccessTokenClaims;
}

/** Checks the time-dependent claims against `nowSec`. Runs on every verify, cached or not. */
export function checkClaimTimes(
  claims: AccessTokenClaims,
  policy: ClaimsPolicy,
  nowSec: number,
): void {
  const tolerance = policy.clockToleranceSec;
  if (claims.exp <= nowSec - tolerance) reject('expired');
  if (claims.nbf !== undefined && claims.nbf > nowSec + tolerance) reject('not_yet_valid');
  if (claims.iat > nowSec + tolerance) reject('issued_in_future');
  if (
    policy.maxTokenAgeSec !== undefined &&
    nowSec - claims.iat > policy.maxTokenAgeSec + tolerance
  ) {
    reject('too_old');
  }
}
