import { WritError } from '../platform/errors.ts';

/** The stored key ring cannot sign: no active key survived loading. */
export class KeyRingError extends WritError<'ERR_KEY_RING_NO_ACTIVE_KEY'> {
  override readonly name = 'KeyRingError';
  readonly code = 'ERR_KEY_RING_NO_ACTIVE_KEY';
}

/** A key that is not in state `next` (unknown, active, retiring) was asked to become active. */
export class KeyActivationError extends WritError<'ERR_KEY_NOT_NEXT'> {
  override readonly name = 'KeyActivationError';
  readonly code = 'ERR_KEY_NOT_NEXT';
}
