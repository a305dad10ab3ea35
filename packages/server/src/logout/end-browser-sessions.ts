import type { RequestOrigin } from '../platform/http/origin.ts';
import { revokeAndPublish } from '../sessions/publish-revocations.ts';
import { revokeSessions } from '../sessions/revoke-sessions.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import type { SessionsContext } from '../sessions/sessions-context.ts';

/**
 * RP-initiated logout's write: ends the user's browser (SSO) sessions given, in one transaction,
 * through `revokeSessions` — so the client sessions opened through them end too and every relying
 * party with a back-channel URI is told (logout/end-relying-party-sessions.ts), exactly as for a
 * sign-out from the first-party API. Returns how many revocation entries it published.
 */
export async function endBrowserSessions(
  context: SessionsContext,
  sessions: readonly SessionRecord[],
  origin: RequestOrigin,
): Promise<number> {
  const [first] = sessions;
  if (first === undefined) return 0;
  const { entries } = await revokeAndPublish(context, (tx) =>
    revokeSessions(tx, {
      userId: first.userId,
      sessionIds: sessions.filter((s) => s.userId === first.userId).map((s) => s.id),
      cause: 'sign_out',
      activity: 'sign_out',
      origin,
      nowMs: context.clock.nowMs(),
      which: 'unrevoked',
    }),
  );
  return entries.length;
}
