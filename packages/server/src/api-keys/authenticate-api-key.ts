import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashSecret } from '../platform/crypto/random.ts';
import type { ApiKeyKind, ApiKeyRecord } from './api-key-record.ts';
import type { ApiKeysStores } from './api-keys-store.ts';
import { findLiveApiKey } from './find-live-api-key.ts';

// The scheme is case-insensitive (RFC 7235 §2.1): `bearer` is as valid as `Bearer`.
const bearer = /^[Bb][Ee][Aa][Rr][Ee][Rr] ([A-Za-z0-9_-]{20,200})$/;

/**
 * Authenticates an admin or consumer API key from `Authorization: Bearer`. Keys are 256-bit
 * random secrets stored as SHA-256 hashes and found by hash, so no comparison of secrets takes
 * place that timing could reveal. Sends 401 and returns undefined on failure.
 */
export async function authenticateApiKey(
  db: ApiKeysStores,
  kind: ApiKeyKind,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ApiKeyRecord | undefined> {
  const match = bearer.exec(request.headers.authorization ?? '');
  const key =
    match?.[1] === undefined ? undefined : await findLiveApiKey(db, kind, hashSecret(match[1]));
  if (key === undefined) {
    await reply
      .code(401)
      .headers({ 'cache-control': 'no-store', 'www-authenticate': 'Bearer error="invalid_token"' })
      .send({ error: 'invalid_token' });
  }
  return key;
}
