/**
 * Why following the revocation log failed, as given to `revocations.onError`. The mirror retries
 * on its own; while it cannot, it goes stale and the verifier refuses every token.
 */
export class RevocationSyncError extends Error {
  override readonly name = 'RevocationSyncError';
  /** The HTTP status when the service answered with an unexpected one (401/403: bad consumer key). */
  readonly status: number | undefined;

  constructor(
    message: string,
    options: { readonly status?: number; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}
