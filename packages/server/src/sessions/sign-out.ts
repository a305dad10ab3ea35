import type { RequestOrigin } from '../platform/http/origin.ts';
import type { Caller } from './caller.ts';
import { revokeAndPublish } from './publish-revocations.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionsContext } from './sessions-context.ts';

/** Ends the caller's own session; returns how many revocation entries it published. */
export async function signOut(
  context: SessionsContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  const { entries } = await revokeAndPublish(context, (tx) =>
    revokeSessions(tx, {
      userId: caller.userId,
      sessionIds: [caller.sessionId],
      cause: 'sign_out',
      activity: 'sign_out',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'unrevoked',
    }),
  );
  return entries.length;
}
