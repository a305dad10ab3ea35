import type { RejectReason } from '@writ/core';

/**
 * Internal signal carrying why a token failed. It never leaves `verify()`: the verifier turns it
 * into the one public `InvalidTokenError` after telling `onReject`.
 */
export class Rejection extends Error {
  readonly reason: RejectReason;

  constructor(reason: RejectReason) {
    super(reason);
    this.reason = reason;
  }
}

export function reject(reason: RejectReason): never {
  throw new Rejection(reason);
}
