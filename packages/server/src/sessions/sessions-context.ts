import type { ActivityRecorder } from '../activity/activity-recorder.ts';
import type { ActivityStores } from '../activity/activity-store.ts';
import type { Signer } from '../keys/signer.ts';
import type { BackchannelLogoutsStores } from '../logout/backchannel-logouts-store.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RefreshTokensStores } from '../refresh-tokens/refresh-tokens-store.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';
import type { RevocationNotifier } from '../revocation/revocation-notifier.ts';
import type { ThrottlesStores } from '../throttle/throttles-store.ts';
import type { UsersStores } from '../users/users-store.ts';
import type { SessionsStores } from './sessions-store.ts';

/**
 * What the session flows need, and nothing else. The stores of other modules appear here only
 * so a transaction can be handed to those modules' flows; session code never calls them itself.
 */
export interface SessionsContext {
  readonly config: ServiceConfig;
  readonly db: UnitOfWork<
    SessionsStores &
      RefreshTokensStores &
      RevocationLogStores &
      ActivityStores &
      UsersStores &
      ThrottlesStores &
      BackchannelLogoutsStores
  >;
  readonly clock: Clock;
  readonly signer: Signer;
  /** Told about revocations once their transaction committed. */
  readonly notifier: RevocationNotifier;
  /** Activity that need not commit with a change of the flow's own, written off the answer's path. */
  readonly activity: ActivityRecorder;
  /** Derives each cookie session's CSRF value (see csrf.ts). */
  readonly csrfKey: Uint8Array;
}

/** The stores a session transaction holds. */
export type SessionsTransaction = Parameters<
  Parameters<SessionsContext['db']['transaction']>[0]
>[0];
