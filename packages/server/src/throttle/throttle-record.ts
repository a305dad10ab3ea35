/** One throttle counter. Times in ms. */
export interface ThrottleRecord {
  readonly key: string;
  readonly failures: number;
  readonly blockedUntil: number;
  readonly updatedAt: number;
}
