export interface RefreshTokensTables {
  refresh_tokens: RefreshTokensTable;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  session_id: string;
  created_at: number;
  /** Set once, by the one refresh that rotated it; a second use is theft. */
  used_at: number | null;
}
