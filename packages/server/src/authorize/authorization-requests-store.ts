export interface HeldAuthorizationRequest {
  readonly handleHash: string;
  /** What the request was held for; only pushed requests (RFC 9126) are, so far. */
  readonly purpose: 'pushed';
  readonly clientId: string;
  /** The validated request as JSON (see authorization-request.ts). */
  readonly request: string;
  readonly createdAt: number;
  readonly expiresAt: number;
}

export interface AuthorizationRequestsStore {
  create(request: HeldAuthorizationRequest): Promise<void>;
  /** The request if it is of `purpose`, not consumed and not expired at `nowMs`. */
  findLive(
    handleHash: string,
    purpose: HeldAuthorizationRequest['purpose'],
    nowMs: number,
  ): Promise<HeldAuthorizationRequest | undefined>;
  /**
   * Consumes a live request of `purpose` in one conditional update and returns it: of two
   * attempts to use one handle exactly one gets it.
   */
  consume(
    handleHash: string,
    purpose: HeldAuthorizationRequest['purpose'],
    nowMs: number,
  ): Promise<HeldAuthorizationRequest | undefined>;
  /** Deletes up to `limit` requests that expired before `beforeMs`; returns how many. */
  pruneExpired(beforeMs: number, limit: number): Promise<number>;
}

export interface AuthorizationRequestsStores {
  readonly authorizationRequests: AuthorizationRequestsStore;
}
