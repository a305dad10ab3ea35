import { hashSecret } from '../platform/crypto/random.ts';
import type { RefreshTokensStores, StoredRefreshToken } from './refresh-tokens-store.ts';

/**
 * Looks a presented refresh token up without spending it (introspection, revocation): which
 * session's family it belongs to and whether it was rotated already.
 */
export function findRefreshToken(
  db: RefreshTokensStores,
  refreshToken: string,
): Promise<StoredRefreshToken | undefined> {
  return db.refreshTokens.find(hashSecret(refreshToken));
}
