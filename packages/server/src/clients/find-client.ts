import type { ClientRecord } from './client-record.ts';
import type { ClientsStores } from './clients-store.ts';

/** The live (not disabled) client with that id, for /oauth/authorize and /oauth/par. */
export async function findClient(
  context: { readonly db: ClientsStores },
  clientId: string,
): Promise<ClientRecord | undefined> {
  if (clientId.length === 0 || clientId.length > 128) return undefined;
  const stored = await context.db.clients.findById(clientId);
  return stored !== undefined && stored.record.disabledAt === null ? stored.record : undefined;
}
