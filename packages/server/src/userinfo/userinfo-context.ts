import type { ClientsStores } from '../clients/clients-store.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { UsersStores } from '../users/users-store.ts';

/** What the userinfo endpoint reads: through the owning modules' flows only. */
export interface UserinfoContext {
  readonly config: ServiceConfig;
  readonly db: SessionsStores & UsersStores & ClientsStores & RevocationLogStores;
  readonly clock: Clock;
}
