import type { RevocationEntry } from '@writ/core';
import { recordActivity } from '../activity/record-activity.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import { appendRevocations } from '../revocation/append-revocations.ts';
import type { Caller } from './caller.ts';
import { revokeAndPublish } from './publish-revocations.ts';
import type { SessionsContext } from './sessions-context.ts';

/**
 * Ends one of the caller's live sessions. Ownership and liveness are conditions of the update
 * itself (no check-then-act), and another user's session id is answered exactly like an unknown
 * one, so ids cannot be probed: nothing is written then.
 */
export async function deleteSession(
  context: SessionsContext,
  caller: Caller,
  sessionId: string,
  origin: RequestOrigin,
): Promise<boolean> {
  const nowMs = context.clock.nowMs();
  const { deleted } = await revokeAndPublish(context, async (tx) => {
    const revokedIds = await tx.sessions.revokeOwned({
      userId: caller.userId,
      sessionIds: [sessionId],
      cause: 'session_deleted',
      nowMs,
      which: 'live',
    });
    if (revokedIds.length === 0) return { deleted: false, entries: [] as RevocationEntry[] };
    await recordActivity(tx, {
      userId: caller.userId,
      sessionId,
      type: 'session_revoked',
      at: nowMs,
      ...origin,
    });
    const entries = await appendRevocations(
      tx,
      [{ type: 'sid', value: sessionId }],
      'session_deleted',
      Math.floor(nowMs / 1000),
    );
    return { deleted: true, entries };
  });
  return deleted;
}
