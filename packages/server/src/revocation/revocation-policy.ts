import { Policy, type RevocationCause, type RevocationTarget } from '@writ/core';
import type { NewRevocation } from './revocation-log-store.ts';

/**
 * An entry may be forgotten once no token it matches can still pass a verifier: the longest
 * lifetime the service ever signs plus the largest clock tolerance a verifier may allow.
 */
export const revocationRetentionSec =
  Policy.accessTokenMaxLifetimeSec + Policy.clockToleranceMaxSec;

export function newRevocations(
  targets: readonly RevocationTarget[],
  cause: RevocationCause,
  nowSec: number,
): NewRevocation[] {
  return targets.map((target) => ({
    target,
    cause,
    revokedAt: nowSec,
    forgetAfter: nowSec + revocationRetentionSec,
  }));
}
