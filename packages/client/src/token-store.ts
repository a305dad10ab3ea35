/**
 * A body-mode session as a Node app may persist it. `expiresAt` (ms since the epoch) is when the
 * access token expires by the client's own clock, measured from the service's answer.
 */
export interface StoredSession {
  readonly accessToken: string;
  readonly refreshToken: string;
  readonly expiresAt: number;
  /** `DPoP` for a token bound to the client's DPoP key; absent means `Bearer`. */
  readonly tokenType?: 'Bearer' | 'DPoP';
}

/**
 * Where a body-mode client keeps its tokens between process restarts. Without one, tokens live
 * in memory only. Browsers must use cookie mode instead: anything a page script can read —
 * localStorage, sessionStorage, IndexedDB — is readable by any script injected into the page.
 *
 * `save` is awaited after every sign-in and refresh. The refresh token rotates on each refresh and
 * presenting an old one revokes the whole session, so a store that loses a save (or is shared by
 * two processes) ends the session at the next start.
 */
export interface TokenStore {
  load(): StoredSession | undefined | Promise<StoredSession | undefined>;
  save(session: StoredSession): void | Promise<void>;
  clear(): void | Promise<void>;
}
