import type { RequestOrigin } from '../platform/http/origin.ts';
import type { Caller } from './caller.ts';
import { revokeAndPublish } from './publish-revocations.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionsContext } from './sessions-context.ts';

/** Ends every session of the user but the caller's. */
export async function signOutOthers(
  context: SessionsContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  const { entries } = await revokeAndPublish(context, async (tx) => {
    const sessions = await tx.sessions.listLive(caller.userId, context.clock.nowMs());
    return revokeSessions(tx, {
      userId: caller.userId,
      sessionIds: sessions.filter((s) => s.id !== caller.sessionId).map((s) => s.id),
      cause: 'session_deleted',
      activity: 'session_revoked',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'unrevoked',
    });
  });
  return entries.length;
}
