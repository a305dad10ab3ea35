import { hashSecret } from '../platform/crypto/random.ts';
import type { RefreshConsumption, RefreshTokensStores } from './refresh-tokens-store.ts';

/** Spends a presented refresh token (see RefreshTokensStore.consume for the guarantee). */
export function consumeRefreshToken(
  tx: RefreshTokensStores,
  refreshToken: string,
  nowMs: number,
): Promise<RefreshConsumption> {
  return tx.refreshTokens.consume(hashSecret(refreshToken), nowMs);
}
