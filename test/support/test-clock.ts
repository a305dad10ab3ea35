import type { Clock } from '../../packages/server/src/platform/clock.ts';

/** A clock tests move: the real time plus an offset they set. */
export interface TestClock extends Clock {
  /** Moves the clock forward (or back, with a negative count). */
  advance(ms: number): void;
  /** Back to the real time. */
  reset(): void;
}

export function testClock(): TestClock {
  let offsetMs = 0;
  return {
    nowMs: () => Date.now() + offsetMs,
    advance(ms) {
      offsetMs += ms;
    },
    reset() {
      offsetMs = 0;
    },
  };
}
