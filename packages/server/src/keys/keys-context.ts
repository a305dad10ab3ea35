import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';
import type { RevocationNotifier } from '../revocation/revocation-notifier.ts';
import type { KeyRing } from './key-ring.ts';
import type { SigningKeysStores } from './signing-keys-store.ts';

/** What the keys module's own operations (publish, activate, rotate, list) need. */
export interface KeysContext {
  readonly config: Pick<ServiceConfig, 'signingAlgorithms' | 'keyRotationPeriodSec'>;
  /** The revocation log too: emergency rotation appends its `kid` entry in its own transaction. */
  readonly db: UnitOfWork<SigningKeysStores & RevocationLogStores>;
  readonly clock: Clock;
  /** The ring in memory, and through `keyRing.custody` the custody that holds the private keys. */
  readonly keyRing: KeyRing;
  /** Where committed revocation entries are published (emergency rotation). */
  readonly notifier: RevocationNotifier;
}
