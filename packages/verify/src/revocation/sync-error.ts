/**
 * What went wrong while following the log, as a stable code to branch on:
 * - `sync_failed`: a request, the stream or an answer failed; the mirror retries on its own.
 * - `behind_head`: the service's log holds entries the stream has not delivered, and the snapshot
 *   could not supply them; the mirror stays behind and goes stale past its bound.
 * - `staleness_bound_below_heartbeat`: `maxStalenessSec` is under two of the service's heartbeat
 *   intervals, so one late heartbeat makes the mirror refuse every token. A configuration problem,
 *   reported whenever the service states a heartbeat interval that conflicts with the bound.
 */
export type RevocationSyncErrorCode =
  | 'sync_failed'
  | 'behind_head'
  | 'staleness_bound_below_heartbeat';

/**
 * Why following the revocation log failed, as given to `revocations.onError`. The mirror retries
 * on its own; while it cannot, it goes stale and the verifier refuses every token.
 */
export class RevocationSyncError extends Error {
  override readonly name = 'RevocationSyncError';
  readonly code: RevocationSyncErrorCode;
  /** The HTTP status when the service answered with an unexpected one (401/403: bad consumer key). */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: {
      readonly code?: RevocationSyncErrorCode;
      readonly status?: number;
      readonly cause?: unknown;
    } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = options.code ?? 'sync_failed';
    this.status = options.status;
  }
}
