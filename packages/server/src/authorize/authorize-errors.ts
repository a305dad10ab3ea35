/**
 * Errors of an authorization response (RFC 6749 §4.1.2.1, RFC 8707 §2, RFC 9101 §6.3, OIDC Core
 * §3.1.2.6), sent to the client's verified redirect URI with a fixed description that never
 * echoes what was sent.
 */
export type AuthorizeErrorCode =
  | 'invalid_request'
  | 'unauthorized_client'
  | 'unsupported_response_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'server_error'
  | 'login_required'
  | 'request_not_supported';

export interface AuthorizeError {
  readonly error: AuthorizeErrorCode;
  readonly description: string;
}

/**
 * What is wrong with the client or the redirect URI: never redirected (RFC 6749 §4.1.2.1),
 * since the redirect URI is not known to belong to the client, but shown on the service's page.
 */
export type ShownProblem =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_redirect_uri'
  | 'invalid_request_uri'
  | 'sign_in_expired';

/** What the service's own error page says for each, the same for every cause within one. */
export const shownProblemText: Readonly<Record<ShownProblem, string>> = {
  invalid_request: 'This sign-in link is malformed.',
  invalid_client:
    'This sign-in link names no client this service knows (or names one more than once).',
  invalid_redirect_uri:
    'This sign-in link asks to return to an address its client has not registered.',
  invalid_request_uri:
    'This sign-in link has expired or was already used. Go back to the application and try again.',
  sign_in_expired:
    'This sign-in form has expired or was already used. Go back to the application and try again.',
};
