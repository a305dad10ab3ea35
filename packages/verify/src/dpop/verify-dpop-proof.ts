import { ConfigurationError } from '@writ/core';
import { RecentCache } from '../recent-cache.ts';
import type { DpopNonces } from './nonces.ts';
import type { CheckedProofHeader } from './proof-check.ts';
import { checkDpopProof } from './proof-check.ts';
import { type DpopProofLimits, resolveProofPolicy } from './proof-policy.ts';
import { DpopNonceRejection, DpopRejection, type DpopRejectReason } from './reasons.ts';
import type { DpopReplayCache } from './replay-cache.ts';

export interface DpopProofRequest extends DpopProofLimits {
  /** The HTTP method of the request the proof came with. */
  readonly method: string;
  /** The absolute URL the request was sent to, as the server's public address. */
  readonly url: string | URL;
  /** The access token sent with the request, if any: the proof's `ath` must be its hash. */
  readonly accessToken?: string;
  /** Require a server nonce (`createDpopNonces`). */
  readonly nonce?: DpopNonces;
  /** Seconds since the epoch: the clock is the caller's. */
  readonly nowSec: number;
  /** Where accepted proofs' `jti`s are remembered (`createDpopReplayCache`), shared by every call. */
  readonly replay: DpopReplayCache;
  /** The thumbprint the proof's key must have (a DPoP-bound refresh token's, say). */
  readonly expectedJkt?: string;
}

export type DpopProofResult =
  | {
      readonly ok: true;
      /** RFC 7638 thumbprint of the proof's key: what `cnf.jkt` of a token bound to it holds. */
      readonly jkt: string;
    }
  | {
      readonly ok: false;
      /** The RFC 9449 error code to answer with. */
      readonly error: 'invalid_dpop_proof' | 'use_dpop_nonce';
      /** Why, for the server's logs only: never send it to the client. */
      readonly reason: DpopRejectReason;
      /** With `use_dpop_nonce`: the nonce to send in the `DPoP-Nonce` header. */
      readonly nonce?: string;
    };

/** One header cache for every call: clients sign with the same key again and again. */
const sharedHeaderCache = new RecentCache<CheckedProofHeader>(1024);

/**
 * Checks a DPoP proof (the `DPoP` header's value) for a request (RFC 9449 §4.3): for the token
 * endpoint, which binds the tokens it issues to the returned `jkt`. Synchronous; never throws
 * for a bad proof (a bad option, such as a missing replay cache, throws `ConfigurationError`).
 */
export function verifyDpopProof(proof: unknown, request: DpopProofRequest): DpopProofResult {
  if (typeof request.nowSec !== 'number' || !Number.isFinite(request.nowSec)) {
    throw new ConfigurationError('nowSec must be a number of seconds since the epoch');
  }
  const policy = resolveProofPolicy(request, request.replay, request.nonce, sharedHeaderCache);
  try {
    if (typeof proof !== 'string' || proof === '') {
      return { ok: false, error: 'invalid_dpop_proof', reason: 'dpop_proof_missing' };
    }
    const url = typeof request.url === 'string' ? request.url : request.url.href;
    const jkt = checkDpopProof(
      proof,
      {
        method: request.method,
        url,
        accessToken: request.accessToken,
        expectedJkt: request.expectedJkt,
      },
      policy,
      request.nowSec * 1000,
    );
    return { ok: true, jkt };
  } catch (error) {
    if (error instanceof DpopNonceRejection) {
      return { ok: false, error: 'use_dpop_nonce', reason: error.dpopReason, nonce: error.nonce };
    }
    if (error instanceof DpopRejection) {
      return { ok: false, error: 'invalid_dpop_proof', reason: error.dpopReason };
    }
    throw error;
  }
}
