/**
 * The one source of the current time for flows and stores, injected through the service
 * context: nothing else reads `Date.now()`, so tests move time by passing their own clock
 * instead of faking the global `Date`.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
}

export const systemClock: Clock = { nowMs: () => Date.now() };

/** Whole seconds since the epoch, as JWT times and revocation entries carry them. */
export function nowSec(clock: Clock): number {
  return Math.floor(clock.nowMs() / 1000);
}
