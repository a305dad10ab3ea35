/**
 * Why `writ inspect` refused an input it was pointed at, as a stable code to branch on:
 * - `stdin_too_large`: stdin held more than `maxStdinBytes`;
 * - `stdin_unreadable`: reading stdin failed;
 * - `jwks_not_regular_file`: `--jwks` names a device, pipe, socket or directory;
 * - `jwks_file_too_large`: the key set file holds more than `maxJwksFileBytes`;
 * - `jwks_file_unreadable`, `jwks_file_not_json`, `jwks_file_not_key_set`.
 * Messages name the path or the limit, never a byte of what was read.
 */
export type InspectInputErrorCode =
  | 'stdin_too_large'
  | 'stdin_unreadable'
  | 'jwks_not_regular_file'
  | 'jwks_file_too_large'
  | 'jwks_file_unreadable'
  | 'jwks_file_not_json'
  | 'jwks_file_not_key_set';

export class InspectInputError extends Error {
  override readonly name = 'InspectInputError';
  readonly code: InspectInputErrorCode;

  constructor(
    code: InspectInputErrorCode,
    message: string,
    options?: { readonly cause?: unknown },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
  }
}
