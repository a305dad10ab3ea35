/** An opaque access token's stored half: what it stands for. Times in ms. */
export interface PhantomTokenRecord {
  readonly tokenHash: string;
  readonly accessToken: string;
  readonly clientId: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface PhantomTokensStore {
  insert(record: PhantomTokenRecord): Promise<void>;
  /** The token of that hash unless it expired at `nowMs`. */
  findLive(tokenHash: string, nowMs: number): Promise<PhantomTokenRecord | undefined>;
  /** Deletes up to `limit` tokens that expired before `nowMs`; returns how many went. */
  pruneExpired(nowMs: number, limit: number): Promise<number>;
}

export interface PhantomTokensStores {
  readonly phantomTokens: PhantomTokensStore;
}
