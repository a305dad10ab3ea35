import type { RevocationEntry } from '@writ/core';
import type { RequestOrigin, ServiceContext } from '../service-context.ts';
import type { SessionRecord } from '../storage/records.ts';
import { revokeSessions } from './revoke-sessions.ts';

/** The signed-in caller, as established by the HTTP layer from a verified access token. */
export interface Caller {
  readonly userId: string;
  readonly sessionId: string;
}

async function revokeAndPublish(
  context: ServiceContext,
  work: (storage: ServiceContext['storage']) => Promise<RevocationEntry[]>,
): Promise<number> {
  const entries = await context.storage.transaction(work);
  context.notifier.publish(entries);
  return entries.length;
}

/** Ends the caller's own session. */
export function signOut(
  context: ServiceContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  return revokeAndPublish(context, (tx) =>
    revokeSessions(context, tx, {
      userId: caller.userId,
      sessionIds: [caller.sessionId],
      cause: 'sign_out',
      activity: 'sign_out',
      origin,
    }),
  );
}

/** Ends every session of the user and every token issued to them until now. */
export function signOutEverywhere(
  context: ServiceContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  return revokeAndPublish(context, async (tx) => {
    const sessions = await tx.listLiveSessions(caller.userId, context.now());
    return revokeSessions(context, tx, {
      userId: caller.userId,
      sessionIds: sessions.map((session) => session.id),
      cause: 'sign_out_everywhere',
      activity: 'sign_out_everywhere',
      origin,
      allTokensOfUser: true,
    });
  });
}

/** Ends every session of the user but the caller's. */
export function signOutOthers(
  context: ServiceContext,
  caller: Caller,
  origin: RequestOrigin,
): Promise<number> {
  return revokeAndPublish(context, async (tx) => {
    const sessions = await tx.listLiveSessions(caller.userId, context.now());
    return revokeSessions(context, tx, {
      userId: caller.userId,
      sessionIds: sessions.filter((s) => s.id !== caller.sessionId).map((s) => s.id),
      cause: 'session_deleted',
      activity: 'session_revoked',
      origin,
    });
  });
}

/**
 * Ends one of the caller's sessions. Another user's session id is answered exactly like an
 * unknown one, so ids cannot be probed.
 */
export async function deleteSession(
  context: ServiceContext,
  caller: Caller,
  sessionId: string,
  origin: RequestOrigin,
): Promise<boolean> {
  const session = await context.storage.findSession(sessionId);
  if (session === undefined || session.userId !== caller.userId || !isLive(session, context.now()))
    return false;
  await revokeAndPublish(context, (tx) =>
    revokeSessions(context, tx, {
      userId: caller.userId,
      sessionIds: [sessionId],
      cause: 'session_deleted',
      activity: 'session_revoked',
      origin,
    }),
  );
  return true;
}

export function isLive(session: SessionRecord, now: number): boolean {
  return (
    session.revokedAt === null && session.idleExpiresAt > now && session.absoluteExpiresAt > now
  );
}
