import type { Clock } from '../platform/clock.ts';
import type { SessionRecord } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

/** The user's sessions neither revoked nor expired, newest first. */
export function listLiveSessions(
  context: { readonly db: SessionsStores; readonly clock: Clock },
  userId: string,
): Promise<SessionRecord[]> {
  return context.db.sessions.listLive(userId, context.clock.nowMs());
}
