export interface AuthorizationCodesTables {
  authorization_codes: AuthorizationCodesTable;
}

/** One authorization code (RFC 6749 §4.1.2), stored as the SHA-256 of the code. Times in ms. */
export interface AuthorizationCodesTable {
  code_hash: string;
  client_id: string;
  user_id: string;
  redirect_uri: string;
  /** RFC 7636 S256 challenge (the only method accepted). */
  code_challenge: string;
  scope: string;
  /** The resource (RFC 8707) the access token will name as `aud`. */
  audience: string;
  nonce: string | null;
  auth_time: number;
  /** The browser (SSO) session that signed the user in: a first-party session's id. */
  browser_session_id: string;
  created_at: number;
  expires_at: number;
  redeemed_at: number | null;
  /** The client session the redemption opened, revoked if the code is presented again. */
  session_id: string | null;
}
