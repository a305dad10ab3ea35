import { TemporarilyUnavailableError, WritError } from '../../platform/errors.ts';

/**
 * The signer process cannot be reached in time: down, restarting, refusing the handshake, or
 * slower than the call's timeout. Temporary by nature; the HTTP layer answers it with 503
 * `temporarily_unavailable` instead of waiting.
 */
export class SignerUnavailableError extends TemporarilyUnavailableError<'ERR_SIGNER_UNAVAILABLE'> {
  override readonly name = 'SignerUnavailableError';
  readonly code = 'ERR_SIGNER_UNAVAILABLE';
}

/** Why the signer refused one request; the connection stays open. */
export type SignerRefusal =
  | 'unknown_key'
  | 'key_not_active'
  | 'state_regression'
  | 'unsupported_algorithm'
  | 'header_mismatch'
  | 'bad_request'
  | 'busy'
  | 'internal';

/** The signer answered, and said no (a retired key, a state moving backwards, …). */
export class SignerRefusedError extends WritError<'ERR_SIGNER_REFUSED'> {
  override readonly name = 'SignerRefusedError';
  readonly code = 'ERR_SIGNER_REFUSED';
  readonly reason: SignerRefusal;

  constructor(reason: SignerRefusal) {
    super(`the signer refused the request: ${reason}`);
    this.reason = reason;
  }
}

/** A peer broke the wire protocol (bad length, bad header, over the cap); its connection is closed. */
export class SignerProtocolError extends WritError<'ERR_SIGNER_PROTOCOL'> {
  override readonly name = 'SignerProtocolError';
  readonly code = 'ERR_SIGNER_PROTOCOL';
}

/** The signer cannot start: its socket path, secret, master key or store is not safe to use. */
export class SignerStartError extends WritError<'ERR_SIGNER_START'> {
  override readonly name = 'SignerStartError';
  readonly code = 'ERR_SIGNER_START';
}
