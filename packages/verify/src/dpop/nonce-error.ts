import { InvalidTokenError } from '@writ/core';

/**
 * The token and proof were refused because the proof lacks a current server nonce (RFC 9449
 * §9). Still an `InvalidTokenError` to callers that only care that the request is refused; the
 * adapters answer `error="use_dpop_nonce"` with `nonce` in the `DPoP-Nonce` header, so the client
 * can sign a new proof and retry once.
 */
export class DpopNonceRequiredError extends InvalidTokenError {
  readonly nonce: string;

  constructor(nonce: string) {
    super();
    this.nonce = nonce;
  }
}
