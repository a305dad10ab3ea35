import type { FastifyReply, FastifyRequest } from 'fastify';
import { hashSecret } from '../crypto/random.ts';
import type { ApiKeyKind, ApiKeyRecord } from '../storage/records.ts';
import type { Storage } from '../storage/storage.ts';

const bearer = /^Bearer ([A-Za-z0-9_-]{20,200})$/;

/**
 * Authenticates an admin or consumer API key from `Authorization: Bearer`. Keys are 256-bit
 * random secrets stored as SHA-256 hashes and found by hash, so no comparison of secrets takes
 * place that timing could reveal. Sends 401 and returns undefined on failure.
 */
export async function authenticateApiKey(
  storage: Storage,
  kind: ApiKeyKind,
  request: FastifyRequest,
  reply: FastifyReply,
): Promise<ApiKeyRecord | undefined> {
  const match = bearer.exec(request.headers.authorization ?? '');
  const key =
    match?.[1] === undefined
      ? undefined
      : await storage.findApiKeyByHash(kind, hashSecret(match[1]));
  if (key === undefined) {
    await reply
      .code(401)
      .headers({ 'cache-control': 'no-store', 'www-authenticate': 'Bearer error="invalid_token"' })
      .send({ error: 'invalid_token' });
  }
  return key;
}
