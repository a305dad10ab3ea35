import type { AuthorizationCodeRecord } from './authorization-code-record.ts';

export interface AuthorizationCodesStore {
  create(code: AuthorizationCodeRecord): Promise<void>;
  find(codeHash: string): Promise<AuthorizationCodeRecord | undefined>;
  /**
   * Marks the code redeemed at `nowMs` if, and only if, nobody redeemed it yet, in one
   * conditional update: of two redemptions of one code exactly one gets `true`.
   */
  redeem(codeHash: string, nowMs: number): Promise<boolean>;
  /** Remembers the session the redemption opened, so a second presentation can revoke it. */
  recordSession(codeHash: string, sessionId: string): Promise<void>;
  /** Deletes up to `limit` codes that expired before `beforeMs`; returns how many. */
  pruneExpired(beforeMs: number, limit: number): Promise<number>;
}

export interface AuthorizationCodesStores {
  readonly authorizationCodes: AuthorizationCodesStore;
}
