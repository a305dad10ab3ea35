import type { ActivityRecorder } from '../activity/activity-recorder.ts';
import type { KeyRing } from '../keys/key-ring.ts';
import type { Signer } from '../keys/signer.ts';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RevocationNotifier } from '../revocation/revocation-notifier.ts';
import type { ServiceStores } from './stores.ts';

/**
 * What the flows of every module need, assembled once at start-up. Plain data, passed
 * explicitly: no global state. Each module's flows declare the part they use (for example
 * `SessionsContext`), which this satisfies.
 */
export interface ServiceContext {
  readonly config: ServiceConfig;
  /** Every store, and `transaction` to bind them all to one transaction. */
  readonly db: UnitOfWork<ServiceStores>;
  /** The only clock flows read. */
  readonly clock: Clock;
  readonly signer: Signer;
  /** The same ring as `signer`, for the keys module's own operations (publish, activate). */
  readonly keyRing: KeyRing;
  readonly notifier: RevocationNotifier;
  /** Activity written off the answer's path, in batches (`activity/activity-recorder.ts`). */
  readonly activity: ActivityRecorder;
  /** Derives each cookie session's CSRF value (see sessions/csrf.ts). */
  readonly csrfKey: Uint8Array;
}
