import { findClientCached } from './client-cache.ts';
import type { ClientsStores } from './clients-store.ts';

/**
 * Whether the client with that id exists and is not disabled, read in the caller's transaction
 * (never through the client cache). A flow that opens a session asks this inside the
 * transaction that inserts it: the client was authenticated earlier, perhaps from a cache up to
 * 5 s old or just before a disable committed, and disabling revokes only the sessions that exist
 * when its own transaction runs. Units of work run one after another, so a client seen live
 * here is disabled, if at all, by a transaction that runs after this one and revokes what this
 * one wrote.
 */
export async function isClientLive(tx: ClientsStores, clientId: string): Promise<boolean> {
  const stored = await tx.clients.findById(clientId);
  return stored !== undefined && stored.record.disabledAt === null;
}

/**
 * Whether the client is live as this instance knows it now: through the client cache, so from
 * memory almost always (no transaction, no write). For a grant that writes nothing
 * (client_credentials): its token is ended by the `sub` entry a disable writes, which covers
 * every token issued up to `clientStalenessCoverMs` after the disable (disable-client.ts), so
 * what this may miss (another instance's disable, less than one cache TTL old) is revoked
 * anyway. Asked again right before the token's time is read: a disable on this instance since
 * the client authenticated (it forgets the cached entry) is seen here.
 */
export async function isClientLiveCached(db: ClientsStores, clientId: string): Promise<boolean> {
  const stored = await findClientCached(db, clientId);
  return stored !== undefined && stored.record.disabledAt === null;
}

/**
 * Thrown inside an issuing transaction (rolling it back) when the client was disabled after it
 * authenticated; the token endpoint answers it as `invalid_client`, as it would have answered
 * the request had it arrived a moment later.
 */
export class ClientNotLiveError extends Error {
  constructor() {
    super('the client was disabled before its tokens could be issued');
    this.name = 'ClientNotLiveError';
  }
}
