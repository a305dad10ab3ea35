import type { JSONWebKeySet } from 'jose';
import type { ClientRecord } from './client-record.ts';
import type { ClientsStores } from './clients-store.ts';

/** One client by id, disabled or not (the admin API shows both), with its public keys if any. */
export async function describeClient(
  context: { readonly db: ClientsStores },
  clientId: string,
): Promise<{ readonly client: ClientRecord; readonly jwks: JSONWebKeySet | null } | undefined> {
  if (clientId.length === 0 || clientId.length > 128) return undefined;
  const stored = await context.db.clients.findById(clientId);
  return stored && { client: stored.record, jwks: stored.jwks };
}
