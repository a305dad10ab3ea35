import { hashSecret, randomSecret } from '../platform/crypto/random.ts';
import type { RefreshTokensStores } from './refresh-tokens-store.ts';

/**
 * A new refresh token in a session's family. Only its hash is stored; the caller hands the
 * plaintext to the client once.
 */
export async function issueRefreshToken(
  tx: RefreshTokensStores,
  sessionId: string,
  nowMs: number,
): Promise<string> {
  const refreshToken = randomSecret('wrt_');
  await tx.refreshTokens.insert(hashSecret(refreshToken), sessionId, nowMs);
  return refreshToken;
}
