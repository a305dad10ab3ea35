import type { Clock } from '../platform/clock.ts';
import type { ApiKeyKind } from './api-key-record.ts';
import type { ApiKeysStores } from './api-keys-store.ts';

/** Revokes the live keys of that kind and name; false when there was none. */
export function revokeApiKey(
  context: { readonly db: ApiKeysStores; readonly clock: Clock },
  kind: ApiKeyKind,
  name: string,
): Promise<boolean> {
  return context.db.apiKeys.revoke(kind, name, context.clock.nowMs());
}
