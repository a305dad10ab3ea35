import type { ClientRecord } from './client-record.ts';
import type { ClientsStores } from './clients-store.ts';

/** Every client, disabled ones included, oldest first: records only, never secrets or hashes. */
export function listClients(context: { readonly db: ClientsStores }): Promise<ClientRecord[]> {
  return context.db.clients.list();
}
