export interface ClientsTables {
  oauth_clients: OAuthClientsTable;
  oauth_client_assertions: OAuthClientAssertionsTable;
  oauth_registration_tokens: OAuthRegistrationTokensTable;
}

export interface OAuthClientsTable {
  /** `wc_…`: random, never sequential. */
  client_id: string;
  name: string;
  kind: 'confidential' | 'public';
  auth_method: 'client_secret_basic' | 'client_secret_post' | 'private_key_jwt' | 'none';
  /** SHA-256 (base64url) of the generated secret; null without one. */
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: number | null;
  /** JSON public JWKS (private_key_jwt). */
  jwks: string | null;
  /** JSON arrays of strings. */
  redirect_uris: string;
  grant_types: string;
  scopes: string;
  audiences: string;
  access_token_format: 'jwt' | 'opaque';
  /** 0 or 1. */
  require_dpop: number;
  backchannel_logout_uri: string | null;
  post_logout_redirect_uris: string;
  registered_by: 'admin' | 'dynamic';
  created_at: number;
  updated_at: number;
  disabled_at: number | null;
}

export interface OAuthClientAssertionsTable {
  client_id: string;
  jti: string;
  /** The assertion's `exp` in ms: until then the jti is refused a second time. */
  expires_at: number;
}

export interface OAuthRegistrationTokensTable {
  /** SHA-256 of the initial access token. */
  token_hash: string;
  name: string;
  /** JSON arrays: what a client registered with this token may be allowed at most. */
  scopes: string;
  audiences: string;
  grant_types: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  /** The client registered with it. */
  client_id: string | null;
}
