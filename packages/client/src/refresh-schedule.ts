/** When an access token expires and when to refresh it, by the client's clock (ms since the epoch). */
export interface SessionTiming {
  readonly expiresAt: number;
  readonly refreshAt: number;
}

/**
 * Counts from when the answer arrived, never from the token's own `exp`: the client's clock may
 * disagree with the service's, and the client should not need to decode a JWT (in cookie mode it
 * never even sees one). Refreshes `leewaySec` before expiry, but never in the first half of the
 * lifetime, so a leeway close to a short lifetime cannot turn every request into a refresh.
 */
export function scheduleFrom(
  receivedAt: number,
  expiresInSec: number,
  leewaySec: number,
): SessionTiming {
  const lead = Math.min(leewaySec, expiresInSec / 2);
  return {
    expiresAt: receivedAt + expiresInSec * 1000,
    refreshAt: receivedAt + (expiresInSec - lead) * 1000,
  };
}

/** A restored session's schedule: only its expiry is known. */
export function scheduleUntil(expiresAt: number, leewaySec: number): SessionTiming {
  return { expiresAt, refreshAt: expiresAt - leewaySec * 1000 };
}
