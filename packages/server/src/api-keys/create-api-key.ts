import { hashSecret, randomId, randomSecret } from '../crypto/random.ts';
import type { ApiKeyKind } from '../storage/records.ts';
import type { Storage } from '../storage/storage.ts';

/** Prefixes make a leaked key recognisable to secret scanners, and say what it opens. */
const keyPrefix: Record<ApiKeyKind, string> = { admin: 'wak_', consumer: 'wck_' };

/** Creates an API key and returns it: the only time it exists outside the caller's hands, since only its hash is stored. */
export async function createApiKey(
  storage: Storage,
  kind: ApiKeyKind,
  name: string,
  now: number,
): Promise<string> {
  const key = randomSecret(keyPrefix[kind]);
  await storage.createApiKey({
    id: randomId('api'),
    kind,
    name,
    keyHash: hashSecret(key),
    createdAt: now,
    revokedAt: null,
  });
  return key;
}
