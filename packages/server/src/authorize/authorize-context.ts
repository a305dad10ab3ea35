import type { ClientsStores } from '../clients/clients-store.ts';
import type { GrantTokensTransaction } from '../oauth/issue-grant-tokens.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { SessionsContext, SessionsTransaction } from '../sessions/sessions-context.ts';
import type { AuthorizationCodesStores } from './authorization-codes-store.ts';
import type { AuthorizationRequestsStores } from './authorization-requests-store.ts';

/**
 * The stores an authorize unit of work holds: its own, and those of the flows it calls and
 * hands the transaction to (sign-in, revoking a session, opening a client's session, clients).
 */
export type AuthorizeStores = SessionsTransaction &
  GrantTokensTransaction &
  ClientsStores &
  AuthorizationCodesStores &
  AuthorizationRequestsStores;

/**
 * What the authorize module's flows need: the session flows' context (the sign-in page calls
 * `signIn`) over a unit of work that also holds its own stores and the clients'.
 */
export interface AuthorizeContext extends Omit<SessionsContext, 'db'> {
  readonly db: UnitOfWork<AuthorizeStores>;
}
