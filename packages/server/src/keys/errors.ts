import { WritError } from '../platform/errors.ts';

export type KeyRingErrorCode =
  /** No active key survived loading: the ring cannot sign. */
  | 'ERR_KEY_RING_NO_ACTIVE_KEY'
  /** A stored key belongs to another custody than the configured one (WRIT_KEY_CUSTODY). */
  | 'ERR_KEY_RING_CUSTODY_MISMATCH'
  /** A stored key names an algorithm the ring does not sign with. */
  | 'ERR_KEY_RING_UNKNOWN_ALGORITHM';

/** The stored key ring cannot be used as it is. */
export class KeyRingError extends WritError<KeyRingErrorCode> {
  override readonly name = 'KeyRingError';
  readonly code: KeyRingErrorCode;

  constructor(message: string, code: KeyRingErrorCode = 'ERR_KEY_RING_NO_ACTIVE_KEY') {
    super(message);
    this.code = code;
  }
}

/** A key that is not in state `next` (unknown, active, retiring, retired) was asked to become active. */
export class KeyActivationError extends WritError<'ERR_KEY_NOT_NEXT'> {
  override readonly name = 'KeyActivationError';
  readonly code = 'ERR_KEY_NOT_NEXT';
}

/** A custody cannot make, open or forget a key (a retired key, a key that does not fit, a signer that is not there). */
export class KeyCustodyError extends WritError<'ERR_KEY_CUSTODY'> {
  override readonly name = 'KeyCustodyError';
  readonly code = 'ERR_KEY_CUSTODY';
}

export type KeyRotationErrorCode =
  /** The algorithm asked for is not in WRIT_SIGNING_ALGORITHMS. */
  | 'ERR_KEY_ALGORITHM_NOT_CONFIGURED'
  /** Emergency rotation was asked to withdraw a kid that is not published. */
  | 'ERR_KEY_NOT_PUBLISHED';

/** An operator's rotation cannot be done as asked; nothing was changed. */
export class KeyRotationError extends WritError<KeyRotationErrorCode> {
  override readonly name = 'KeyRotationError';
  readonly code: KeyRotationErrorCode;

  constructor(message: string, code: KeyRotationErrorCode) {
    super(message);
    this.code = code;
  }
}
