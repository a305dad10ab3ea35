/**
 * Operator errors of the token service (configuration, storage, the CLI, start-up): one base
 * class with a stable `code`, so callers branch on codes, never on messages. Messages name what
 * to fix and never carry a secret. Each module declares its own codes; the verifier's public
 * `InvalidTokenError` (in `@writ/core`) is a different thing and stays as it is.
 */
export type WritErrorCode = `ERR_${string}`;

export abstract class WritError<Code extends WritErrorCode = WritErrorCode> extends Error {
  abstract readonly code: Code;
}

/**
 * Something the service depends on is away for now (the signer process, later a KMS): the
 * request may succeed if retried in a moment. The HTTP layer answers 503
 * `temporarily_unavailable` with `Retry-After` instead of a 500 (app/build-app.ts).
 */
export abstract class TemporarilyUnavailableError<
  Code extends WritErrorCode = WritErrorCode,
> extends WritError<Code> {}
