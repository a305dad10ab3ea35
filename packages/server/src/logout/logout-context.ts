import type { ClientsStores } from '../clients/clients-store.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { SessionsContext, SessionsTransaction } from '../sessions/sessions-context.ts';

/**
 * What RP-initiated logout needs: the session flows' context (it ends the browser session with
 * `revokeSessions`, which writes the back-channel outbox) over a unit of work that also holds
 * the clients (their registered post-logout redirect URIs).
 */
export interface LogoutContext extends Omit<SessionsContext, 'db'> {
  readonly db: UnitOfWork<SessionsTransaction & ClientsStores>;
}
