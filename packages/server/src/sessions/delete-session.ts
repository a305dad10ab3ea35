import type { RequestOrigin } from '../platform/http/origin.ts';
import type { Caller } from './caller.ts';
import { revokeAndPublish } from './publish-revocations.ts';
import { revokeSessions } from './revoke-sessions.ts';
import type { SessionsContext } from './sessions-context.ts';

/**
 * Ends one of the caller's live sessions through `revokeSessions`, like every flow that ends
 * sessions: deleting a browser (SSO) session ends the client sessions opened through it and
 * tells their relying parties (Back-Channel Logout). Ownership and liveness are conditions of
 * the update itself (no check-then-act), and another user's session id is answered exactly like
 * an unknown one, so ids cannot be probed: nothing is written then.
 */
export async function deleteSession(
  context: SessionsContext,
  caller: Caller,
  sessionId: string,
  origin: RequestOrigin,
): Promise<boolean> {
  const { revokedIds } = await revokeAndPublish(context, (tx) =>
    revokeSessions(tx, {
      userId: caller.userId,
      sessionIds: [sessionId],
      cause: 'session_deleted',
      activity: 'session_revoked',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'live',
      nothingUnlessRevoked: true,
    }),
  );
  return revokedIds.includes(sessionId);
}
