import type { ActivityStores } from '../activity/activity-store.ts';
import type { ClientsStores } from '../clients/clients-store.ts';
import type { BackchannelLogoutsStores } from '../logout/backchannel-logouts-store.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';
import type { SessionsContext } from '../sessions/sessions-context.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { ThrottlesStores } from '../throttle/throttles-store.ts';
import type { UsersStores } from '../users/users-store.ts';
import type { PhantomTokensStores } from './phantom-tokens-store.ts';

/** The stores the OAuth flows hand on (to sessions, clients, revocation) or use (phantom tokens). */
export type OAuthStores = SessionsStores &
  RefreshTokensStores &
  RevocationLogStores &
  ActivityStores &
  UsersStores &
  ThrottlesStores &
  PhantomTokensStores &
  ClientsStores &
  BackchannelLogoutsStores;

/**
 * What the OAuth endpoints need: the session flows' context (refresh rotates a session's family
 * exactly as first-party refresh does) over a unit of work that also holds the clients and the
 * phantom tokens.
 */
export interface OAuthContext extends Omit<SessionsContext, 'db'> {
  readonly db: UnitOfWork<OAuthStores>;
}
