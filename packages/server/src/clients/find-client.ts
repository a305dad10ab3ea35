import { findClientCached } from './client-cache.ts';
import type { ClientRecord } from './client-record.ts';
import type { ClientsStores } from './clients-store.ts';

/**
 * The live (not disabled) client with that id, for /oauth/authorize and /oauth/par. Read through
 * the client cache (client-cache.ts): disabling forgets it at once on this instance.
 */
export async function findClient(
  context: { readonly db: ClientsStores },
  clientId: string,
): Promise<ClientRecord | undefined> {
  if (clientId.length === 0 || clientId.length > 128) return undefined;
  const stored = await findClientCached(context.db, clientId);
  return stored !== undefined && stored.record.disabledAt === null ? stored.record : undefined;
}
