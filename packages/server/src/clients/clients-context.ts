import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ClientsStores } from './clients-store.ts';

/** What the clients module's flows use of the service context. */
export interface ClientsContext {
  readonly config: Pick<ServiceConfig, 'issuer' | 'audience'>;
  readonly db: UnitOfWork<ClientsStores>;
  readonly clock: Clock;
}
