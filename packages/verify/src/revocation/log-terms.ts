import { RevocationSyncError } from './sync-error.ts';

/**
 * What the service states about its log in every snapshot page and heartbeat. The mirror needs
 * both to stay safe: without the retention it cannot tell which tokens outlive their revocation,
 * and without the heartbeat interval it cannot tell whether its staleness bound makes sense.
 */
export interface LogTerms {
  /** How long after `revokedAt` an entry is kept (seconds): `forgetAfter` − `revokedAt`. */
  readonly retentionSec: number;
  /** How often each stream sends a heartbeat (seconds). */
  readonly heartbeatSec: number;
}

const positive = (value: unknown): value is number =>
  typeof value === 'number' && Number.isFinite(value) && value > 0;

/** Reads the terms from a snapshot page or heartbeat body; a body without them is malformed. */
export function parseLogTerms(body: Record<string, unknown>, what: string): LogTerms {
  const { retentionSec, heartbeatSec } = body;
  if (!positive(retentionSec) || !positive(heartbeatSec)) {
    throw new RevocationSyncError(`${what} lacks retentionSec or heartbeatSec`);
  }
  return { retentionSec, heartbeatSec };
}
