import {
  type AsymmetricAlgorithm,
  ConfigurationError,
  isAsymmetricAlgorithm,
  withFullySpecifiedNames,
} from '@writ/core';
import { boundedInteger } from '../config-checks.ts';
import { RecentCache } from '../recent-cache.ts';
import type { DpopNonces } from './nonces.ts';
import type { CheckedProofHeader } from './proof-check.ts';
import type { DpopReplayCache } from './replay-cache.ts';

/** Proof algorithms accepted unless told otherwise: what WebCrypto clients sign with. */
export const defaultProofAlgorithms: readonly AsymmetricAlgorithm[] = ['EdDSA', 'ES256'];
export const defaultIatWindowSec = 60;
export const maxIatWindowSec = 300;
export const defaultMaxProofBytes = 4096;

/** How proofs are judged: fixed for a verifier, or per call of `verifyDpopProof`. */
export interface DpopProofPolicy {
  readonly algorithms: ReadonlySet<AsymmetricAlgorithm>;
  /** A proof's `iat` may be this far from now, either way. */
  readonly iatWindowSec: number;
  readonly maxProofBytes: number;
  readonly replay: DpopReplayCache;
  /** When set, every proof must carry a nonce these accept. */
  readonly nonces: DpopNonces | undefined;
  /** Proof headers already checked, by their base64url segment (see proof-check.ts). */
  readonly headerCache: RecentCache<CheckedProofHeader>;
}

export interface DpopProofLimits {
  /** Accepted proof `alg` values, asymmetric only. Default `['EdDSA', 'ES256']` (`Ed25519` with `EdDSA`). */
  readonly algorithms?: readonly AsymmetricAlgorithm[];
  /** How far a proof's `iat` may be from now, either way: 1 to 300 s. Default 60 s. */
  readonly iatWindowSec?: number;
  /** Refuse longer proofs before parsing: 512 to 16 384 bytes. Default 4096. */
  readonly maxProofBytes?: number;
}

function fail(message: string): never {
  throw new ConfigurationError(message);
}

export function resolveProofAlgorithms(
  algorithms: readonly AsymmetricAlgorithm[] | undefined,
): ReadonlySet<AsymmetricAlgorithm> {
  const list = algorithms ?? defaultProofAlgorithms;
  if (!Array.isArray(list) || list.length === 0) fail('dpop algorithms must be a non-empty list');
  for (const alg of list as readonly unknown[]) {
    // A proof is signed with the client's own key, published in the proof: only asymmetric
    // algorithms make sense, and `none` or HMAC would let anyone sign.
    if (typeof alg !== 'string' || !isAsymmetricAlgorithm(alg)) {
      fail(`dpop algorithms must be asymmetric JWS algorithms: ${String(alg)}`);
    }
  }
  return withFullySpecifiedNames(list) as ReadonlySet<AsymmetricAlgorithm>;
}

export function resolveProofPolicy(
  limits: DpopProofLimits,
  replay: DpopReplayCache,
  nonces: DpopNonces | undefined,
  headerCache: RecentCache<CheckedProofHeader> = new RecentCache(1024),
): DpopProofPolicy {
  if (typeof replay !== 'object' || replay === null || typeof replay.claim !== 'function') {
    fail('a DPoP replay cache is required (createDpopReplayCache)');
  }
  return {
    algorithms: resolveProofAlgorithms(limits.algorithms),
    iatWindowSec: boundedInteger(
      limits.iatWindowSec,
      'dpop iatWindowSec',
      defaultIatWindowSec,
      1,
      maxIatWindowSec,
    ),
    maxProofBytes: boundedInteger(
      limits.maxProofBytes,
      'dpop maxProofBytes',
      defaultMaxProofBytes,
      512,
      16_384,
    ),
    replay,
    nonces,
    headerCache,
  };
}
