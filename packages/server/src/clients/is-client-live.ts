import type { ClientsStores } from './clients-store.ts';

/**
 * Whether the client with that id exists and is not disabled, read in the caller's transaction
 * (never through the client cache). A flow that issues tokens asks this inside the transaction
 * that opens the session or records the token: the client was authenticated earlier, perhaps
 * from a cache up to 5 s old or just before a disable committed, and disabling revokes only what
 * exists when its own transaction runs. Units of work run one after another, so a client seen
 * live here is disabled, if at all, by a transaction that runs after this one and revokes what
 * this one wrote.
 */
export async function isClientLive(tx: ClientsStores, clientId: string): Promise<boolean> {
  const stored = await tx.clients.findById(clientId);
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
