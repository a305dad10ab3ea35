/**
 * Every reason a registration is refused: a stable code (what callers branch on) and a fixed
 * description that says what to fix and never echoes the input.
 */
export const registrationProblems = {
  unknown_member:
    'the body may hold only the client metadata members documented in docs/oauth/clients.md',
  invalid_client_name:
    'client_name must be 1 to 100 characters, not only whitespace, with no control or invisible characters',
  invalid_auth_method:
    'token_endpoint_auth_method must be client_secret_basic, client_secret_post, private_key_jwt or none',
  invalid_grant_types:
    'grant_types must be distinct members of authorization_code, refresh_token, client_credentials; refresh_token needs authorization_code, and a public client (none) cannot use client_credentials',
  invalid_response_types:
    'response_types may only be ["code"], and only with the authorization_code grant',
  invalid_redirect_uri:
    'redirect_uris must be 1 to 20 distinct absolute URLs (https, or http on a loopback host; a public client may also use a reverse-domain private-use scheme) of at most 2000 characters, without fragment, credentials or whitespace, given exactly when authorization_code is allowed',
  invalid_scope:
    'scope must be a space-separated list of at most 50 distinct scope tokens (RFC 6749 §3.3) of at most 128 characters; openid needs authorization_code and offline_access needs refresh_token',
  invalid_audience:
    'audiences must be 1 to 20 distinct absolute URIs of at most 500 characters without fragment or whitespace',
  audience_is_client_id:
    'an audience must not look like a client id (wc_...): an ID token carries its client id as audience, so an access token for it could pass as that client ID token',
  invalid_jwks:
    'jwks is required with private_key_jwt and refused otherwise: 1 to 10 public signing keys (RSA of at least 2048 bits, EC P-256/P-384/P-521, or Ed25519), no private members, allowed algorithms only, a distinct kid on each key when there are several',
  jwks_uri_unsupported: 'jwks_uri is not supported: register the public keys inline as jwks',
  invalid_access_token_format: 'access_token_format must be jwt or opaque',
  invalid_dpop_setting: 'dpop_bound_access_tokens must be true or false',
  invalid_backchannel_logout_uri:
    'backchannel_logout_uri must be an absolute https URL (or http on a loopback host, admin registrations only) of at most 2000 characters without fragment or credentials, on a public host for dynamic registrations, and needs authorization_code',
  invalid_post_logout_redirect_uri:
    'post_logout_redirect_uris must be at most 20 distinct URLs following the redirect_uris rule, and need authorization_code',
  outside_registration_token:
    'the initial access token does not allow these grant types, scopes or audiences',
} as const;

export type RegistrationProblem = keyof typeof registrationProblems;
