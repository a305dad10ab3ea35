export interface SessionsTables {
  sessions: SessionsTable;
}

export interface SessionsTable {
  /** `ses_…`: random, never sequential. */
  id: string;
  user_id: string;
  mode: 'body' | 'cookie' | 'oauth';
  created_at: number;
  last_used_at: number;
  idle_expires_at: number;
  absolute_expires_at: number;
  revoked_at: number | null;
  revoke_cause: string | null;
  ip: string;
  user_agent: string;
  /** OAuth sessions (mode `oauth`) only; null for first-party ones. */
  client_id: string | null;
  scope: string | null;
  audience: string | null;
  dpop_jkt: string | null;
  auth_time: number | null;
  browser_session_id: string | null;
}
