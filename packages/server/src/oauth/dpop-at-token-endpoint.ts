import { createHmac } from 'node:crypto';
import type { AsymmetricAlgorithm } from '@writ/core';
import {
  createDpopNonces,
  createDpopReplayCache,
  type DpopNonces,
  type DpopReplayCache,
  verifyDpopProof,
} from '@writ/verify';

/** Proof algorithms the token endpoint accepts (and discovery advertises): what WebCrypto signs with. */
export const tokenEndpointDpopAlgorithms: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256'];

export type TokenEndpointProof =
  | { readonly ok: true; readonly jkt: string | undefined }
  | {
      readonly ok: false;
      readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
      readonly nonce?: string;
    };

export interface TokenEndpointDpop {
  /** Checks the request's `DPoP` header, if it has one (`jkt` undefined when it has none). */
  check(header: string | string[] | undefined, nowMs: number): TokenEndpointProof;
  /** A current nonce, sent with every answer so clients keep one (RFC 9449 §8.2). */
  nonce(nowMs: number): string;
}

/**
 * Proofs of possession at an endpoint (RFC 9449 §5): one replay cache per endpoint, bounded, and
 * server nonces required (§8). Nonces are derived from the master key (a label keeps them apart
 * from every other use of it), so every instance of the service accepts every other's.
 */
export function createTokenEndpointDpop(options: {
  readonly url: string;
  readonly masterKey: Uint8Array;
  /** Proofs remembered at once; past it new proofs are refused until old ones expire. */
  readonly maxProofs?: number;
}): TokenEndpointDpop {
  const nonces: DpopNonces = createDpopNonces({
    secret: createHmac('sha256', options.masterKey).update('writ dpop nonce\0').digest(),
  });
  const replay: DpopReplayCache = createDpopReplayCache({
    maxEntries: options.maxProofs ?? 100_000,
  });
  return {
    check(header, nowMs) {
      if (header === undefined) return { ok: true, jkt: undefined };
      // Two DPoP headers (RFC 9449 §4.3 step 1): which one the client meant is not ours to pick.
      if (Array.isArray(header)) return { ok: false, error: 'invalid_dpop_proof' };
      const result = verifyDpopProof(header, {
        method: 'POST',
        url: options.url,
        algorithms: tokenEndpointDpopAlgorithms,
        nonce: nonces,
        nowSec: Math.floor(nowMs / 1000),
        replay,
      });
      if (result.ok) return { ok: true, jkt: result.jkt };
      return result.nonce === undefined
        ? { ok: false, error: result.error }
        : { ok: false, error: result.error, nonce: result.nonce };
    },
    nonce: (nowMs) => nonces.issue(Math.floor(nowMs / 1000)),
  };
}
