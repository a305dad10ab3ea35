import type { Clock } from '../platform/clock.ts';
import { hashSecret, randomId, randomSecret } from '../platform/crypto/random.ts';
import type { ApiKeyKind } from './api-key-record.ts';
import type { ApiKeysStores } from './api-keys-store.ts';

/** Prefixes make a leaked key recognisable to secret scanners, and say what it opens. */
const keyPrefix: Record<ApiKeyKind, string> = { admin: 'wak_', consumer: 'wck_' };

/** Creates an API key and returns it: the only time it exists outside the caller's hands, since only its hash is stored. */
export async function createApiKey(
  context: { readonly db: ApiKeysStores; readonly clock: Clock },
  kind: ApiKeyKind,
  name: string,
): Promise<string> {
  const key = randomSecret(keyPrefix[kind]);
  await context.db.apiKeys.create({
    id: randomId('api'),
    kind,
    name,
    keyHash: hashSecret(key),
    createdAt: context.clock.nowMs(),
    revokedAt: null,
  });
  return key;
}
