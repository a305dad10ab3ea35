import type { Clock } from '../platform/clock.ts';
import { isLive, type SessionRecord } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

/**
 * The session with that id if it is live now (not revoked, not expired), for modules that hold
 * a session id of their own (authorize/'s browser sign-in cookie) and must not read the store.
 */
export async function findLiveSession(
  context: { readonly db: SessionsStores; readonly clock: Clock },
  sessionId: string,
): Promise<SessionRecord | undefined> {
  const session = await context.db.sessions.find(sessionId);
  return session !== undefined && isLive(session, context.clock.nowMs()) ? session : undefined;
}
