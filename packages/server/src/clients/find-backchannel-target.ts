import { findClientCached } from './client-cache.ts';
import type { ClientsStores } from './clients-store.ts';

/** Where a live client is told of ended sessions, and who registered that URI. */
export interface BackchannelTarget {
  readonly uri: string;
  /**
   * `admin`: the operator chose the URI (an internal relying party is normal); `dynamic`: an
   * outsider with an initial access token did (RFC 7591), so the sender refuses addresses
   * inside the service's own networks, whatever the name resolves to.
   */
  readonly registeredBy: 'admin' | 'dynamic';
}

/**
 * The back-channel logout target of the live client with that id, or undefined (unknown,
 * disabled, or no back-channel URI). Read through the client cache, as findClient is.
 */
export async function findBackchannelTarget(
  context: { readonly db: ClientsStores },
  clientId: string,
): Promise<BackchannelTarget | undefined> {
  if (clientId.length === 0 || clientId.length > 128) return undefined;
  const stored = await findClientCached(context.db, clientId);
  if (stored === undefined || stored.record.disabledAt !== null) return undefined;
  const uri = stored.record.backchannelLogoutUri;
  return uri === null ? undefined : { uri, registeredBy: stored.registeredBy };
}
