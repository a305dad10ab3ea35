import type { SessionMode, SessionRecord } from './session-record.ts';

export interface RevokeOwnedSessions {
  readonly userId: string;
  readonly sessionIds: readonly string[];
  readonly cause: string;
  readonly nowMs: number;
  /** `live`: only sessions not expired at `nowMs`; `unrevoked`: expired ones too. */
  readonly which: 'live' | 'unrevoked';
}

export interface TouchLiveSession {
  readonly id: string;
  readonly mode: SessionMode;
  readonly nowMs: number;
  readonly idleExpiresAt: number;
  /** OAuth sessions: the authenticated client, which must be the one the session belongs to. */
  readonly clientId?: string;
}

export interface SessionsStore {
  create(session: SessionRecord): Promise<void>;
  find(id: string): Promise<SessionRecord | undefined>;
  /** Sessions neither revoked nor expired at `nowMs`, newest first. */
  listLive(userId: string, nowMs: number): Promise<SessionRecord[]>;
  touch(id: string, nowMs: number, idleExpiresAt: number): Promise<void>;
  /**
   * Marks a session used at `nowMs` and moves its idle expiry to `idleExpiresAt` (never past its
   * absolute expiry) if, and only if, it is live at `nowMs` and of `mode`, in one conditional
   * update that returns the session as updated: the refresh path reads and extends the session
   * in one statement. `undefined` when no such session is live (the caller reads it to say why).
   */
  touchLive(request: TouchLiveSession): Promise<SessionRecord | undefined>;
  /**
   * Marks revoked those of `sessionIds` that belong to `userId` and are not revoked yet, in one
   * conditional update: ownership is part of the write, so no check can go stale before it.
   * Returns the ids it revoked, in the order given.
   */
  revokeOwned(request: RevokeOwnedSessions): Promise<string[]>;
  /** Up to `limit` sessions held by an OAuth client that are not revoked yet (any expiry). */
  listUnrevokedOfClient(
    clientId: string,
    limit: number,
  ): Promise<{ readonly id: string; readonly userId: string }[]>;
  /**
   * Up to `limit` ids of sessions that ended (revoked, idle-expired or past their absolute
   * lifetime) before `endedBeforeMs`. A session that ended never lives again, so the answer
   * cannot go stale before the delete.
   */
  listEnded(endedBeforeMs: number, limit: number): Promise<string[]>;
  /** Deletes those of `ids` that ended before `endedBeforeMs`; returns how many went. */
  deleteEnded(ids: readonly string[], endedBeforeMs: number): Promise<number>;
}

export interface SessionsStores {
  readonly sessions: SessionsStore;
}
