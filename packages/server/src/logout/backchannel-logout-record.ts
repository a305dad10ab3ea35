/** One relying party to tell that a session of its user ended. Times in ms. */
export interface BackchannelLogoutRecord {
  readonly id: string;
  readonly clientId: string;
  readonly userId: string;
  /** The browser session the client's ID tokens named as `sid`, if any. */
  readonly browserSessionId: string | null;
  readonly createdAt: number;
  readonly attempts: number;
  readonly nextAttemptAt: number;
  readonly lastError: string | null;
  readonly deadAt: number | null;
}

/** What the revoking transaction writes: the rest is the outbox's own bookkeeping. */
export interface NewBackchannelLogout {
  readonly clientId: string;
  readonly userId: string;
  readonly browserSessionId: string | null;
}
