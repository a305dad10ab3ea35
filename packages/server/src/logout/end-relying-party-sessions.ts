import type { SessionRecord } from '../sessions/session-record.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { NewBackchannelLogout } from './backchannel-logout-record.ts';
import type { BackchannelLogoutsStores } from './backchannel-logouts-store.ts';

/** The stores the hook needs in the revoking transaction. */
export type RelyingPartyLogoutTransaction = SessionsStores & BackchannelLogoutsStores;

/** Refresh tokens granted with it are meant to outlive the user's sign-in (OIDC Core §11). */
const offlineAccess = 'offline_access';

function grantsOfflineAccess(session: SessionRecord): boolean {
  return session.client?.scope.split(' ').includes(offlineAccess) === true;
}

/**
 * Called by `revokeSessions` (sessions/) — the one place every flow that ends sessions goes
 * through — right after it revoked `revokedIds`, in the same transaction:
 *
 * - the client (OAuth) sessions opened through a browser (SSO) session that just ended end with
 *   it, except those granted `offline_access` (Back-Channel Logout 1.0 §2.7: such refresh
 *   tokens normally SHOULD NOT be revoked);
 * - every relying party that held a session of the user through an ended browser session, or
 *   whose own session ended, gets an outbox entry: one per client and browser session, delivered
 *   after the commit by the back-channel worker (which looks up the client's
 *   `backchannel_logout_uri` then, so a client without one costs one row, deleted at once).
 *
 * Returns the ids of the sessions it ended on top of `revokedIds`, for their `sid` entries.
 */
export async function endRelyingPartySessions(
  tx: RelyingPartyLogoutTransaction,
  input: {
    readonly userId: string;
    readonly revokedIds: readonly string[];
    readonly cause: string;
    readonly nowMs: number;
  },
): Promise<string[]> {
  if (input.revokedIds.length === 0) return [];
  const ended: SessionRecord[] = [];
  for (const id of input.revokedIds) {
    const session = await tx.sessions.find(id);
    if (session !== undefined) ended.push(session);
  }
  const endedBrowserSessions = new Set(
    ended.filter((session) => session.mode === 'cookie').map((session) => session.id),
  );
  const relyingPartySessions = ended.filter((session) => session.client !== undefined);
  let cascaded: string[] = [];
  if (endedBrowserSessions.size > 0) {
    const opened = (await tx.sessions.listLive(input.userId, input.nowMs)).filter((session) => {
      const browserSessionId = session.client?.browserSessionId;
      return browserSessionId != null && endedBrowserSessions.has(browserSessionId);
    });
    relyingPartySessions.push(...opened);
    cascaded = await tx.sessions.revokeOwned({
      userId: input.userId,
      sessionIds: opened.filter((session) => !grantsOfflineAccess(session)).map((s) => s.id),
      cause: input.cause,
      nowMs: input.nowMs,
      which: 'unrevoked',
    });
  }
  const entries = new Map<string, NewBackchannelLogout>();
  for (const session of relyingPartySessions) {
    const grant = session.client;
    if (grant === undefined) continue;
    const browserSessionId = grant.browserSessionId;
    entries.set(`${grant.clientId}\0${browserSessionId ?? ''}`, {
      clientId: grant.clientId,
      userId: session.userId,
      browserSessionId,
    });
  }
  await tx.backchannelLogouts.enqueue([...entries.values()], input.nowMs);
  return cascaded;
}
