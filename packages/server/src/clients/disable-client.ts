import type { Clock } from '../platform/clock.ts';
import type { ClientsStores } from './clients-store.ts';

/**
 * Disables a client: from now on it fails authentication and findClient no longer returns it.
 * False when no live client has that id. The row stays, so its id is never handed out again and
 * the admin API can still show who it was.
 */
export function disableClient(
  context: { readonly db: ClientsStores; readonly clock: Clock },
  clientId: string,
): Promise<boolean> {
  return context.db.clients.disable(clientId, context.clock.nowMs());
}
