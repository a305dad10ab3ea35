import type { Clock } from '../platform/clock.ts';
import { listLiveSessions } from '../sessions/list-live-sessions.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { NewBackchannelLogout } from './backchannel-logout-record.ts';
import type { BackchannelLogoutsStores } from './backchannel-logouts-store.ts';

/** Refresh tokens granted with it are meant to outlive the user's sign-in (OIDC Core §11). */
const offlineAccess = 'offline_access';

function grantsOfflineAccess(session: SessionRecord): boolean {
  return session.client?.scope.split(' ').includes(offlineAccess) === true;
}

export interface RelyingPartyLogoutPlan {
  /**
   * The client (OAuth) sessions opened through a browser (SSO) session about to end, which end
   * with it — except those granted `offline_access` (Back-Channel Logout 1.0 §2.7: such refresh
   * tokens normally SHOULD NOT be revoked).
   */
  readonly alsoEnding: readonly string[];
  /**
   * Queues, in the revoking transaction, one outbox entry per client and browser session for
   * every client session that the update revoked or whose browser session it revoked. Delivered
   * after the commit by the back-channel worker, which reads the client's
   * `backchannel_logout_uri` then (a client without one costs a row, deleted at once).
   */
  queue(tx: BackchannelLogoutsStores, revokedIds: readonly string[], nowMs: number): Promise<void>;
}

const nothing: RelyingPartyLogoutPlan = { alsoEnding: [], queue: async () => {} };

/**
 * Back-Channel Logout's part of `revokeSessions` (sessions/), the one place every flow that ends
 * sessions goes through; read before its update, from the user's live sessions (an expired
 * session's relying party has nothing left to end): which client sessions end with the browser
 * sessions being ended, and which relying parties to tell.
 */
export async function planRelyingPartyLogout(
  context: { readonly db: SessionsStores; readonly clock: Clock },
  userId: string,
  sessionIds: readonly string[],
): Promise<RelyingPartyLogoutPlan> {
  if (sessionIds.length === 0) return nothing;
  const targeted = new Set(sessionIds);
  const live = await listLiveSessions(context, userId);
  const endingBrowsers = new Set(
    live.filter((s) => s.mode === 'cookie' && targeted.has(s.id)).map((s) => s.id),
  );
  const opened = live.filter((s) => {
    const browserSessionId = s.client?.browserSessionId;
    return browserSessionId != null && endingBrowsers.has(browserSessionId) && !targeted.has(s.id);
  });
  const clientSessions = live.filter((s) => s.client !== undefined && targeted.has(s.id));
  const candidates = [...clientSessions, ...opened];
  if (candidates.length === 0) return nothing;
  return {
    alsoEnding: opened.filter((s) => !grantsOfflineAccess(s)).map((s) => s.id),
    async queue(tx, revokedIds, nowMs) {
      const revoked = new Set(revokedIds);
      const entries = new Map<string, NewBackchannelLogout>();
      for (const session of candidates) {
        const grant = session.client;
        if (grant === undefined) continue;
        const browserSessionId = grant.browserSessionId;
        const ended =
          revoked.has(session.id) || (browserSessionId !== null && revoked.has(browserSessionId));
        if (!ended) continue;
        entries.set(`${grant.clientId}\0${browserSessionId ?? ''}`, {
          clientId: grant.clientId,
          userId: session.userId,
          browserSessionId,
        });
      }
      await tx.backchannelLogouts.enqueue([...entries.values()], nowMs);
    },
  };
}
