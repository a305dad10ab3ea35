import type { RequestOrigin } from '../platform/http/origin.ts';
import type { Caller } from './caller.ts';
import { revokeAndPublish } from './publish-revocations.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionsContext } from './sessions-context.ts';

/** Ends every session of the user and every token issued to them until now. */
export async function signOutEverywhere(
  context: SessionsContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  const { entries } = await revokeAndPublish(context, async (tx) => {
    const sessions = await tx.sessions.listLive(caller.userId, context.clock.nowMs());
    return revokeSessions(tx, {
      userId: caller.userId,
      sessionIds: sessions.map((session) => session.id),
      cause: 'sign_out_everywhere',
      activity: 'sign_out_everywhere',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'unrevoked',
      allTokensOfUser: true,
    });
  });
  return entries.length;
}
