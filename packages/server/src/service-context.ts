import type { ServiceConfig } from './config/config.ts';
import type { Signer } from './keys/signer.ts';
import type { RevocationNotifier } from './revocation/revocation-notifier.ts';
import type { Storage } from './storage/storage.ts';

/** What every flow needs. Plain data, passed explicitly: no global state. */
export interface ServiceContext {
  readonly config: ServiceConfig;
  readonly storage: Storage;
  readonly signer: Signer;
  readonly notifier: RevocationNotifier;
  /** Milliseconds since the epoch. */
  readonly now: () => number;
  /** Derives each cookie session's CSRF value (see sessions/csrf.ts). */
  readonly csrfKey: Uint8Array;
}

/** Who is asking, as recorded in sessions and the activity log. */
export interface RequestOrigin {
  readonly ip: string;
  readonly userAgent: string;
}
