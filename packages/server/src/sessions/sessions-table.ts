export interface SessionsTables {
  sessions: SessionsTable;
}

export interface SessionsTable {
  /** `ses_…`: random, never sequential. */
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
