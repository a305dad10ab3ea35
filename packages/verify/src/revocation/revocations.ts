import { type AccessTokenClaims, type JoseHeader, Policy } from '@writ/core';
import type { ResolvedRevocationOptions } from '../options.ts';
import { reject } from '../rejection.ts';
import { RevocationMirror } from './mirror.ts';
import { revocationService } from './service-client.ts';
import { RevocationSync } from './sync.ts';

/** The mirror's health, for readiness checks and metrics. */
export interface RevocationState {
  /** The last log position applied. */
  readonly cursor: number;
  /** The highest log head the service has reported; above `cursor` while entries are missing. */
  readonly head: number;
  /**
   * Seconds since the mirror was last known to hold the whole log up to its head (since start,
   * before it ever was). Heartbeats that report a head beyond the cursor do not reset it.
   */
  readonly lagSec: number;
  /** Revoked values held. */
  readonly size: number;
  /** Whether the event stream is open. */
  readonly connected: boolean;
  /** Whether every token is being refused: not loaded yet, behind or silent too long, or closed. */
  readonly stale: boolean;
  /** How long the service keeps entries (s); tokens living longer are refused. Unknown until loaded. */
  readonly retentionSec: number | undefined;
  /** The service's heartbeat interval (s). Unknown until loaded. */
  readonly heartbeatSec: number | undefined;
  /**
   * `maxStalenessSec` is under two heartbeat intervals of the service: one late heartbeat makes
   * the mirror refuse every token. Reported once through `onError` too; fix the configuration.
   */
  readonly boundBelowHeartbeat: boolean;
}

export interface RevocationStatus {
  state(): RevocationState;
}

/** What the verifier holds when revocations are configured. */
export interface Revocations extends RevocationStatus {
  /** Whether the first snapshot has loaded; until then `check` refuses everything. */
  readonly loaded: boolean;
  /**
   * Settles when the first snapshot has loaded, `maxStalenessSec` after start, or on close,
   * whichever comes first. The bound runs from start, not per request: once it has passed,
   * verifies are refused at once instead of each waiting again while the service is unreachable.
   */
  readonly firstLoad: Promise<void>;
  /**
   * Throws a `Rejection` (`revocations_stale`, `lifetime_exceeds_revocation_window`, `revoked`)
   * or returns: two comparisons, a few lookups.
   */
  check(claims: AccessTokenClaims, header: JoseHeader, nowMs: number): void;
  /** Stops following the log; from then on `check` refuses everything. */
  close(): Promise<void>;
}

/** Starts mirroring the revocation log at once, so it is usually loaded before the first request. */
export function startRevocations(options: ResolvedRevocationOptions): Revocations {
  const maxStalenessMs = options.maxStalenessSec * 1000;
  const startedMs = Date.now();
  const mirror = new RevocationMirror();
  const sync = new RevocationSync({
    service: revocationService(options.uri, options.credentials),
    mirror,
    // Half the staleness bound: a dead connection is replaced before the mirror goes stale.
    idleTimeoutMs: maxStalenessMs / 2,
    maxStalenessSec: options.maxStalenessSec,
    onError: options.onError,
  });
  let closed = false;
  let deadline: NodeJS.Timeout | undefined;
  const firstLoad = new Promise<void>((resolve) => {
    deadline = setTimeout(resolve, maxStalenessMs);
    void sync.firstSnapshot.then(() => {
      clearTimeout(deadline);
      resolve();
    });
  });

  const isStale = (nowMs: number): boolean =>
    closed || !sync.hasLoaded || nowMs - mirror.currentAsOfMs > maxStalenessMs;

  /**
   * A token must expire before the entries that could revoke it are forgotten. It is accepted until
   * `exp` + the verifier's clock tolerance and was issued no later than it was revoked, so its
   * lifetime plus the largest tolerance any verifier may use must fit in the retention; otherwise
   * a revocation would be forgotten while the token is still accepted. Measured from `iat`
   * (required): `nbf` can only shorten the time a token is accepted, never lengthen it.
   */
  const outlivesRetention = (claims: AccessTokenClaims): boolean => {
    const retentionSec = mirror.terms?.retentionSec;
    return (
      retentionSec === undefined ||
      claims.exp - claims.iat + Policy.clockToleranceMaxSec > retentionSec
    );
  };

  return {
    get loaded() {
      return sync.hasLoaded;
    },
    firstLoad,
    check(claims, header, nowMs) {
      if (isStale(nowMs)) reject('revocations_stale');
      if (outlivesRetention(claims)) reject('lifetime_exceeds_revocation_window');
      if (mirror.isRevoked(claims, header)) reject('revoked');
    },
    state() {
      const nowMs = Date.now();
      mirror.prune(nowMs / 1000);
      const currentAsOfMs = Number.isFinite(mirror.currentAsOfMs)
        ? mirror.currentAsOfMs
        : startedMs;
      return {
        cursor: mirror.cursor,
        head: Math.max(sync.head, mirror.cursor),
        lagSec: Math.max(0, (nowMs - currentAsOfMs) / 1000),
        size: mirror.size,
        connected: sync.connected,
        stale: isStale(nowMs),
        retentionSec: mirror.terms?.retentionSec,
        heartbeatSec: mirror.terms?.heartbeatSec,
        boundBelowHeartbeat: sync.boundBelowHeartbeat,
      };
    },
    async close() {
      closed = true;
      clearTimeout(deadline);
      await sync.close();
    },
  };
}
