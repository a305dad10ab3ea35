/** `body`/`cookie`: first-party sign-in; `oauth`: a session an OAuth client holds (oauth/). */
export type SessionMode = 'body' | 'cookie' | 'oauth';

/** What an OAuth client's session was granted (mode `oauth` only). Times in ms. */
export interface SessionClientGrant {
  readonly clientId: string;
  /** Space-separated scopes granted; a refresh may narrow an access token's, never widen. */
  readonly scope: string;
  /** The resource (RFC 8707) its access tokens are for. */
  readonly audience: string;
  /** RFC 7638 thumbprint its refresh tokens are bound to (DPoP, public clients), if any. */
  readonly dpopJkt: string | null;
  /** When the user authenticated (ID tokens' `auth_time`), if a user did. */
  readonly authTimeMs: number | null;
  /** The browser (SSO) session it came from, if any. */
  readonly browserSessionId: string | null;
}

/** A signed-in session (a refresh-token family). Times in ms. */
export interface SessionRecord {
  readonly id: string;
  readonly userId: string;
  readonly mode: SessionMode;
  readonly createdAt: number;
  readonly lastUsedAt: number;
  readonly idleExpiresAt: number;
  readonly absoluteExpiresAt: number;
  readonly revokedAt: number | null;
  readonly ip: string;
  readonly userAgent: string;
  /** Present exactly when `mode` is `oauth`. */
  readonly client?: SessionClientGrant;
}

export function isLive(session: SessionRecord, nowMs: number): boolean {
  return (
    session.revokedAt === null && session.idleExpiresAt > nowMs && session.absoluteExpiresAt > nowMs
  );
}
