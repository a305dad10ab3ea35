import type { RejectReason } from '@writ/core';

/**
 * Why the exchanger refused a presented token. Like the verifier's reasons they stay inside the
 * process (`onReject`): the caller only ever sees `invalid_token`.
 */
export type PhantomRejectReason =
  /** Not `wat_` + 43 base64url characters; a JWT presented directly lands here (see docs). */
  | 'not_opaque_token'
  /** The service answered `active: false`: unknown, expired or revoked. */
  | 'inactive'
  /** The signed introspection response failed a check (typ, iss, aud, iat, signature, shape). */
  | 'bad_introspection_response'
  /** The access token the service handed over failed the strict verify; `innerReason` says why. */
  | 'bad_access_token'
  /** A fault inside the exchanger; the token is refused all the same (`error` says what). */
  | 'internal_error';

/** What `onReject` learns about a refused token. Never the token, nor the access token behind it. */
export interface PhantomRejectEvent {
  readonly reason: PhantomRejectReason;
  /** With `bad_introspection_response` and `bad_access_token`: the verifier's own reason. */
  readonly innerReason?: RejectReason;
  /** With reason `internal_error` (the exchanger's or the verifier's): what went wrong, for the operator. */
  readonly error?: unknown;
}

/** Internal refusal signal; `exchange` turns it into the one public `InvalidTokenError`. */
export class PhantomRejection extends Error {
  readonly reason: PhantomRejectReason;
  readonly innerReason: RejectReason | undefined;

  constructor(reason: PhantomRejectReason, innerReason?: RejectReason) {
    super(reason);
    this.reason = reason;
    this.innerReason = innerReason;
  }
}
