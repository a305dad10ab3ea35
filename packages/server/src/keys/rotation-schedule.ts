import { Policy } from '@writ/core';

/**
 * `@writ/verify` refetches the JWKS for an unknown `kid` at most once per cooldown (options.ts
 * `minimumCooldownSec`, also the default), counted from its last kid-caused refetch only.
 */
const consumerUnknownKidCooldownSec = 30;
/** Other instances' rings (and so their JWKS) follow the store within this (500 ms polls). */
const ringFollowSlackSec = 2;
/** Today's JWKS lifetime, kept for production periods. */
const maxJwksMaxAgeSec = 300;

/** Every duration scheduled rotation works with, derived from the rotation period alone. */
export interface RotationTimes {
  readonly periodMs: number;
  /** `Cache-Control: max-age` of the JWKS: a quarter period, at most 300 s, at least 1 s. */
  readonly jwksMaxAgeSec: number;
  /**
   * How long a `next` key is published before it signs: one JWKS cache lifetime (a consumer
   * that honours `max-age` has refetched by then) plus the unknown-kid cooldown (a consumer whose
   * cache is older — `@writ/verify` keeps one at least 60 s — last refetched for an unknown kid
   * before the key appeared, so the first token of the key may trigger a refetch that finds it),
   * plus the time other instances take to follow the store.
   */
  readonly leadTimeMs: number;
  /**
   * How long a key stays `retiring` after it stopped signing: the longest lifetime the service
   * ever signs plus the largest clock tolerance a verifier may allow.
   */
  readonly retireAfterMs: number;
  /** How often the scheduled step runs: a tenth of a period, from 1 s to 60 s. */
  readonly stepEveryMs: number;
  /** How long the rotation lease lasts: an instance that died hands over after this. */
  readonly leaseMs: number;
}

export function rotationTimes(periodSec: number): RotationTimes {
  const jwksMaxAgeSec = Math.max(1, Math.min(maxJwksMaxAgeSec, Math.floor(periodSec / 4)));
  const stepEveryMs = Math.min(60_000, Math.max(1000, (periodSec * 1000) / 10));
  return {
    periodMs: periodSec * 1000,
    jwksMaxAgeSec,
    leadTimeMs: (jwksMaxAgeSec + consumerUnknownKidCooldownSec + ringFollowSlackSec) * 1000,
    retireAfterMs: (Policy.accessTokenMaxLifetimeSec + Policy.clockToleranceMaxSec) * 1000,
    stepEveryMs,
    leaseMs: Math.max(10_000, 3 * stepEveryMs),
  };
}
