import type { Clock } from '../platform/clock.ts';
import { deleteInBatches } from '../platform/database/delete-in-batches.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { AuthorizationCodesStores } from './authorization-codes-store.ts';
import type { AuthorizationRequestsStores } from './authorization-requests-store.ts';

/**
 * How long a code is kept past its 60 s: presenting it again within this time still revokes
 * the session its redemption opened (RFC 6749 §4.1.2). A thief replaying a code a day later
 * has long been outrun by the access tokens' lifetime; the session itself ends with its own
 * lifetimes and sign-outs.
 */
export const expiredCodeRetentionMs = 24 * 3600 * 1000;
/**
 * Forgets authorization codes a day after they expired and pushed requests once they expired,
 * in bounded deletes (each its own transaction). For the housekeeping loop.
 */
export async function pruneAuthorizationRecords(context: {
  readonly db: UnitOfWork<AuthorizationCodesStores & AuthorizationRequestsStores>;
  readonly clock: Clock;
}): Promise<{ readonly codes: number; readonly pushedRequests: number }> {
  const nowMs = context.clock.nowMs();
  const { db } = context;
  const codes = await deleteInBatches(db, (tx, limit) =>
    tx.authorizationCodes.pruneExpired(nowMs - expiredCodeRetentionMs, limit),
  );
  const pushedRequests = await deleteInBatches(db, (tx, limit) =>
    tx.authorizationRequests.pruneExpired(nowMs, limit),
  );
  return { codes, pushedRequests };
}
