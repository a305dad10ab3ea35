import type { JwsAlgorithm } from './algorithms.ts';

/** The protected header of a JWS as Writ reads it. */
export interface JoseHeader {
  readonly alg: JwsAlgorithm;
  readonly typ?: string;
  readonly kid?: string;
  readonly crit?: readonly string[];
  readonly [parameter: string]: unknown;
}

/** DPoP / mTLS confirmation (RFC 7800, RFC 9449). */
export interface ConfirmationClaim {
  /** JWK SHA-256 thumbprint of the key the token is bound to (DPoP). */
  readonly jkt?: string;
  readonly [member: string]: unknown;
}

/**
 * Claims of an access token (RFC 9068) as `@writ/verify` returns them after every check passed.
 * Required members are guaranteed present and well typed.
 */
export interface AccessTokenClaims {
  readonly iss: string;
  /** Random opaque subject identifier: never sequential, never personal data. */
  readonly sub: string;
  readonly aud: string | readonly string[];
  readonly exp: number;
  readonly iat: number;
  readonly jti: string;
  readonly nbf?: number;
  /** Session the token belongs to. */
  readonly sid?: string;
  /** Space-separated scopes (RFC 8693 §4.2). */
  readonly scope?: string;
  readonly client_id?: string;
  readonly cnf?: ConfirmationClaim;
  /** Hash of the CSRF value in cookie mode. */
  readonly csrf?: string;
  readonly [claim: string]: unknown;
}
