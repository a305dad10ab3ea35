import type { Generated } from 'kysely';

/**
 * The database as Kysely sees it. Times are integer milliseconds since the epoch; ids are random
 * strings with a type prefix (`usr_`, `ses_`), never sequential.
 */
export interface Database {
  users: UsersTable;
  sessions: SessionsTable;
  refresh_tokens: RefreshTokensTable;
  signing_keys: SigningKeysTable;
  revocations: RevocationsTable;
  activity: ActivityTable;
  api_keys: ApiKeysTable;
  sign_in_throttles: SignInThrottlesTable;
}

export interface UsersTable {
  id: string;
  /** Normalised (NFKC, trimmed, lower-case) so one person cannot hold two spellings. */
  email: string;
  password_hash: string;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id: string;
  user_id: string;
  mode: 'body' | 'cookie';
  created_at: number;
  last_used_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoke_cause: string | null;
  ip: string;
  user_agent: string;
}

export interface RefreshTokensTable {
  /** SHA-256 of the token: the token itself is never stored. */
  token_hash: string;
  session_id: string;
  created_at: number;
  /** Set once, by the one refresh that rotated it; a second use is theft. */
  used_at: number | null;
}

export interface SigningKeysTable {
  kid: string;
  alg: string;
  state: 'next' | 'active' | 'retiring' | 'retired';
  public_jwk: string;
  /** The private JWK sealed with AES-256-GCM under the master key (see crypto/sealed-box.ts). */
  sealed_private_jwk: string;
  created_at: number;
  activated_at: number | null;
  retired_at: number | null;
}

export interface RevocationsTable {
  cursor: Generated<number>;
  target_type: 'jti' | 'sid' | 'sub' | 'kid';
  target_value: string;
  issued_before: number | null;
  cause: string;
  revoked_at: number;
  forget_after: number;
}

export interface ActivityTable {
  id: Generated<number>;
  user_id: string;
  session_id: string | null;
  type: string;
  at: number;
  ip: string;
  user_agent: string;
}

export interface ApiKeysTable {
  id: string;
  kind: 'admin' | 'consumer';
  name: string;
  /** SHA-256 of the key. */
  key_hash: string;
  created_at: number;
  revoked_at: number | null;
}

export interface SignInThrottlesTable {
  key: string;
  failures: number;
  blocked_until: number;
  updated_at: number;
}
