import { pruneActivity } from '../activity/prune-activity.ts';
import { pruneAuthorizationRecords } from '../authorize/prune-authorization-records.ts';
import { pruneClientAssertions } from '../clients/prune-client-assertions.ts';
import { prunePhantomTokens } from '../oauth/prune-phantom-tokens.ts';
import { pruneRevocationLog } from '../revocation/prune-revocation-log.ts';
import { pruneEndedSessions } from '../sessions/prune-ended-sessions.ts';
import { pruneSignInThrottles } from '../throttle/sign-in-throttle.ts';
import type { ServiceContext } from './service-context.ts';

/**
 * One round of housekeeping: forgettable revocation entries, spent sign-in throttles, old
 * activity, long-ended sessions with their refresh tokens, expired phantom tokens, used or
 * expired authorization codes and pushed requests, and the jtis of expired client assertions.
 * Every table that grows with use is listed here, so one test can hold the whole list to
 * account (housekeeping.test.ts).
 */
export async function runHousekeeping(context: ServiceContext): Promise<void> {
  await Promise.all([
    pruneRevocationLog(context),
    pruneSignInThrottles(context.db, context.clock.nowMs()),
    pruneActivity(context),
    pruneEndedSessions(context),
    prunePhantomTokens(context),
    pruneAuthorizationRecords(context),
    pruneClientAssertions(context),
  ]);
}
