export interface PhantomTokensTables {
  oauth_phantom_tokens: PhantomTokensTable;
}

/** Opaque (`wat_…`) access tokens and the at+jwt each stands for. Times in ms. */
export interface PhantomTokensTable {
  /** SHA-256 of the opaque token: the token itself is never stored. */
  token_hash: string;
  /** The at+jwt the gateway forwards upstream; it carries every claim (jti, sid, sub…). */
  access_token: string;
  client_id: string;
  created_at: number;
  expires_at: number;
}
