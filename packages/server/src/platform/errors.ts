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
