/** Reconnection delays: doubling from `initialMs` up to `maxMs`, each drawn from its upper half. */
export interface BackoffPolicy {
  readonly initialMs: number;
  readonly maxMs: number;
}

export const defaultBackoff: BackoffPolicy = { initialMs: 100, maxMs: 5000 };

/**
 * Delay before reconnection attempt `attempt` (0 for the first). The jitter keeps a fleet of
 * consumers that lost the service together from coming back in lockstep.
 */
export function backoffDelayMs(
  attempt: number,
  policy: BackoffPolicy = defaultBackoff,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(attempt, 30));
  return ceiling / 2 + (random() * ceiling) / 2;
}
