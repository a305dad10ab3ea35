/** Why an exchange could not be decided. Stable codes; messages never hold a token or a body. */
export type ExchangeUnavailableCode =
  /** The introspection request failed, timed out, or the service answered something other than 200. */
  | 'introspection_failed'
  /** The answer was not `application/token-introspection+jwt`, or larger than `maxResponseBytes`. */
  | 'introspection_unreadable'
  /** `maxConcurrentIntrospections` distinct tokens are already being introspected. */
  | 'too_many_introspections'
  /**
   * The revocation mirror has not been up to date for `maxStalenessSec`: no token can be vouched
   * for until it catches up (the verifier refuses them all, `revocations_stale`).
   */
  | 'revocations_stale'
  /** The exchanger was closed. */
  | 'closed';

/**
 * The token could not be judged, through no fault of the token: the token service is unreachable,
 * refuses this gateway's client credentials, or is answering too many introspections at once.
 * Adapters answer 503 (`temporarily_unavailable`), not 401: a client told its token is invalid
 * throws it away and signs in again, which would turn a service outage into a sign-in storm.
 */
export class ExchangeUnavailableError extends Error {
  override readonly name = 'ExchangeUnavailableError';
  readonly code: ExchangeUnavailableCode;
  /** The introspection endpoint's HTTP status, when it answered one other than 200. */
  readonly status: number | undefined;

  constructor(
    code: ExchangeUnavailableCode,
    message: string,
    options: { readonly status?: number; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}
