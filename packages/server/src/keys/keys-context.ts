import type { Clock } from '../platform/clock.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { KeyRing } from './key-ring.ts';
import type { SigningKeysStores } from './signing-keys-store.ts';

/** What the keys module's own operations (publish, activate) need. */
export interface KeysContext {
  readonly config: { readonly masterKey: Uint8Array };
  readonly db: UnitOfWork<SigningKeysStores>;
  readonly clock: Clock;
  readonly keyRing: KeyRing;
}
