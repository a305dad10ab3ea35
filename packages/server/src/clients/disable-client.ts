import type { Clock } from '../platform/clock.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RequestOrigin } from '../platform/http/origin.ts';
import type { RevocationNotifier } from '../revocation/revocation-notifier.ts';
import { revokeClientSessions } from '../sessions/revoke-client-sessions.ts';
import type { SessionsTransaction } from '../sessions/sessions-context.ts';
import { clientStalenessCoverMs, forgetCachedClient } from './client-cache.ts';
import type { ClientsStores } from './clients-store.ts';

/** What disabling needs: its own store and, in the same transaction, the sessions flow's. */
export interface DisableClientContext {
  readonly db: UnitOfWork<ClientsStores & SessionsTransaction>;
  readonly clock: Clock;
  /** Told about the revocations once their transaction committed. */
  readonly notifier: RevocationNotifier;
}

/**
 * The origin recorded in the users' activity for sessions ended this way: none. The operator's
 * address and tool (an internal IP, `curl/8`) would otherwise appear in every affected user's
 * log as if a stranger had ended their session; the entry still says the session was revoked.
 */
const operatorOrigin: RequestOrigin = { ip: '', userAgent: '' };

/**
 * Disables a client: from now on it fails authentication and findClient no longer returns it,
 * and, in the same transaction, everything it holds ends (sessions/revokeClientSessions): its
 * sessions are revoked (their refresh tokens die, `sid` entries end the access tokens already
 * issued at every mirror; the back-channel worker tells no disabled client, so no logout token
 * goes to it) and a `sub` entry for its id ends its client_credentials tokens. Without this a
 * disabled client's access tokens lived until they expired at every resource server.
 * False when no live client has that id (nothing else is written then). The row stays, so its
 * id is never handed out again and the admin API can still show who it was.
 *
 * The client_credentials grant writes nothing and checks the client through the client cache
 * (is-client-live.ts), so an instance whose cached entry predates this commit can still mint
 * for a few seconds. The `sub` entry covers those tokens: it ends the client's tokens issued up
 * to `clientStalenessCoverMs` after this transaction (a disabled client is never legitimately
 * issued another, so the future cut-off catches nothing it should not), and is kept that much
 * longer, so it outlives every token it ends.
 */
export async function disableClient(
  context: DisableClientContext,
  clientId: string,
): Promise<boolean> {
  const nowMs = context.clock.nowMs();
  // The client cache forgets it before the write and again once it committed: refused on this
  // instance from the next request on (other instances: after the cache's TTL, client-cache.ts).
  forgetCachedClient(clientId);
  const { disabled, entries } = await context.db
    .transaction(async (tx) => {
      if (!(await tx.clients.disable(clientId, nowMs))) return { disabled: false, entries: [] };
      return {
        disabled: true,
        ...(await revokeClientSessions(tx, {
          clientId,
          origin: operatorOrigin,
          nowMs,
          staleIssuance: { clock: context.clock, ms: clientStalenessCoverMs },
        })),
      };
    })
    .finally(() => forgetCachedClient(clientId));
  context.notifier.publish(entries);
  return disabled;
}
