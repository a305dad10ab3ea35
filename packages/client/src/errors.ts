/**
 * What went wrong, as a stable code an app can branch on. Messages are fixed per code (plus, for
 * configuration mistakes, which option): they never carry a token, a password or a response body.
 */
export type WritClientErrorCode =
  /** An option passed to `createWritClient` is missing or unsafe (thrown at construction). */
  | 'invalid_configuration'
  /** Sign-in refused: unknown account or wrong password (the service does not say which). */
  | 'invalid_credentials'
  /** Sign-in throttled after repeated failures; see `retryAfterSec`. */
  | 'slow_down'
  /** The service refused the request as malformed (e.g. an empty email). */
  | 'invalid_request'
  /** `fetch` called with no session. */
  | 'not_signed_in'
  /** The service refused to refresh the session before the request could be sent. */
  | 'session_ended'
  /** `fetch` to an origin not listed in `allowedOrigins`: nothing was sent. */
  | 'origin_not_allowed'
  /** The token service could not be reached. */
  | 'network_error'
  /** The token service answered with an unexpected status; see `status`. */
  | 'service_error'
  /** The token service answered 2xx with a body the client cannot use. */
  | 'invalid_response'
  /**
   * The token service answered one of the client's own requests (sign-in, refresh, sign-out)
   * with a redirect, which the client never follows: it would carry the password, the refresh
   * token or the CSRF value to wherever it points. Usually a misconfigured `issuer` (http for
   * https, a missing path prefix) or a proxy in front of the service.
   */
  | 'unexpected_redirect'
  /** The `tokenStore` failed to load, save or clear. */
  | 'token_store_failed'
  /**
   * DPoP was asked for but this platform cannot make or keep the key (no WebCrypto — browsers
   * have it only on https and localhost — or no IndexedDB when it was asked for).
   */
  | 'dpop_unavailable';

const messages: Readonly<Record<WritClientErrorCode, string>> = {
  invalid_configuration: 'invalid client configuration',
  invalid_credentials: 'invalid email or password',
  slow_down: 'too many sign-in attempts; try again later',
  invalid_request: 'the token service refused the request as malformed',
  not_signed_in: 'not signed in',
  session_ended: 'the session has ended; sign in again',
  origin_not_allowed: 'credentials are not sent to this origin',
  network_error: 'the token service could not be reached',
  service_error: 'the token service answered with an unexpected status',
  invalid_response: 'the token service sent an unusable response',
  unexpected_redirect:
    'the token service answered with a redirect, which the client does not follow',
  token_store_failed: 'the token store failed',
  dpop_unavailable: 'DPoP keys are not available on this platform',
};

export interface WritClientErrorDetails {
  /** HTTP status, when the service answered. */
  readonly status?: number;
  /** `slow_down`: seconds to wait before trying again. */
  readonly retryAfterSec?: number;
  /** `invalid_configuration`: what is wrong, in words chosen by this library. */
  readonly problem?: string;
}

export class WritClientError extends Error {
  override readonly name = 'WritClientError';
  readonly code: WritClientErrorCode;
  readonly status: number | undefined;
  readonly retryAfterSec: number | undefined;

  constructor(code: WritClientErrorCode, details: WritClientErrorDetails = {}) {
    super(details.problem === undefined ? messages[code] : `${messages[code]}: ${details.problem}`);
    this.code = code;
    this.status = details.status;
    this.retryAfterSec = details.retryAfterSec;
  }
}

export function isWritClientError(error: unknown, code?: WritClientErrorCode): boolean {
  return error instanceof WritClientError && (code === undefined || error.code === code);
}
