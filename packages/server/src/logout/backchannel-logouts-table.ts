export interface BackchannelLogoutsTables {
  backchannel_logouts: BackchannelLogoutsTable;
}

/**
 * The outbox of Back-Channel Logout 1.0: one row per relying party to tell that a session of
 * its user ended, written in the transaction that ended it, deleted once delivered. Times in ms.
 */
export interface BackchannelLogoutsTable {
  /** Random, never sequential (`bcl_…`). */
  id: string;
  client_id: string;
  /** The user (`sub` of the logout token). */
  user_id: string;
  /** The browser session (`sid` of the ID tokens the client got), when there was one. */
  browser_session_id: string | null;
  created_at: number;
  /** Delivery attempts started so far. */
  attempts: number;
  /** Due from then on; while an attempt runs, the end of its lease. */
  next_attempt_at: number;
  /** Why the last attempt failed (`http_500`, `timeout`, …): never a body or a token. */
  last_error: string | null;
  /** Set when the entry gave up (or could not be delivered at all); kept for the operator, then pruned. */
  dead_at: number | null;
}
