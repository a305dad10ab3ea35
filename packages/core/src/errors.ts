/**
 * Why a token was refused. Reasons stay inside the process (server logs, metrics): the outside
 * world only ever sees `invalid_token`, so an attacker learns nothing about which check failed.
 */
export type RejectReason =
  | 'malformed'
  | 'too_large'
  | 'unsupported_serialization'
  | 'bad_header'
  | 'alg_not_allowed'
  | 'typ_mismatch'
  | 'crit_unsupported'
  | 'missing_kid'
  | 'unknown_kid'
  | 'key_set_unavailable'
  | 'bad_signature'
  | 'bad_claims'
  | 'issuer_mismatch'
  | 'audience_mismatch'
  | 'expired'
  | 'not_yet_valid'
  | 'issued_in_future'
  | 'too_old'
  | 'proof_required'
  | 'revoked'
  | 'revocations_stale'
  /**
   * With a revocation mirror: the token lives longer (`exp` − `iat`) than the service keeps its
   * revocation entries, so a revocation would be forgotten while the token is still valid.
   */
  | 'lifetime_exceeds_revocation_window'
  /** A fault inside the verifier; the token is refused all the same. */
  | 'internal_error'
  /** Not a bad token: a valid one without a scope the resource requires (answered with 403). */
  | 'insufficient_scope';

/** Error codes Writ returns to clients (RFC 6750 §3.1, RFC 6749 §5.2). */
export const PublicErrorCode = {
  invalidRequest: 'invalid_request',
  invalidToken: 'invalid_token',
  insufficientScope: 'insufficient_scope',
} as const;

export type PublicErrorCode = (typeof PublicErrorCode)[keyof typeof PublicErrorCode];

const invalidTokenMessage = 'invalid token';

/**
 * The one error every rejected token produces. Its message and code never vary with the reason.
 */
export class InvalidTokenError extends Error {
  readonly code = PublicErrorCode.invalidToken;
  override readonly name = 'InvalidTokenError';

  constructor() {
    super(invalidTokenMessage);
  }
}

/** The token is valid but lacks a scope the resource requires (HTTP 403). */
export class InsufficientScopeError extends Error {
  readonly code = PublicErrorCode.insufficientScope;
  override readonly name = 'InsufficientScopeError';
  /** Scopes the resource requires, for the `WWW-Authenticate` challenge. */
  readonly requiredScopes: readonly string[];

  constructor(requiredScopes: readonly string[]) {
    super('insufficient scope');
    this.requiredScopes = requiredScopes;
  }
}

/** A verifier or service was configured in a way Writ refuses. Thrown at construction, never per token. */
export class ConfigurationError extends Error {
  readonly code = 'invalid_configuration';
  override readonly name = 'ConfigurationError';
}
