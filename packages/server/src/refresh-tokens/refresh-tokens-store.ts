/** The outcome of presenting a refresh token: the compare-and-swap at the heart of rotation. */
export type RefreshConsumption =
  | { readonly status: 'rotated'; readonly sessionId: string }
  | { readonly status: 'reused'; readonly sessionId: string }
  | { readonly status: 'unknown' };

export interface StoredRefreshToken {
  readonly sessionId: string;
  /** Set once the token was rotated: it is spent. */
  readonly usedAt: number | null;
}

export interface RefreshTokensStore {
  insert(tokenHash: string, sessionId: string, nowMs: number): Promise<void>;
  /**
   * Marks a refresh token used if, and only if, it was unused: of any number of concurrent
   * callers with the same token exactly one sees `rotated`; the others see `reused`.
   */
  consume(tokenHash: string, nowMs: number): Promise<RefreshConsumption>;
  /** The token of that hash as stored, used or not; a read (introspection, revocation). */
  find(tokenHash: string): Promise<StoredRefreshToken | undefined>;
  /** Deletes up to `limit` tokens of the given sessions' families; returns how many went. */
  deleteOfSessions(sessionIds: readonly string[], limit: number): Promise<number>;
}

export interface RefreshTokensStores {
  readonly refreshTokens: RefreshTokensStore;
}
