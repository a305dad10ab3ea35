import type { AccessTokenClaims, JoseHeader } from '@writ/core';
import type { ResolvedRevocationOptions } from '../options.ts';
import { reject } from '../rejection.ts';
import { RevocationMirror } from './mirror.ts';
import { revocationService } from './service-client.ts';
import { RevocationSync } from './sync.ts';

/** The mirror's health, for readiness checks and metrics. */
export interface RevocationState {
  /** The last log position applied. */
  readonly cursor: number;
  /** Seconds since the service was last heard from (since start, before it ever was). */
  readonly lagSec: number;
  /** Revoked values held. */
  readonly size: number;
  /** Whether the event stream is open. */
  readonly connected: boolean;
  /** Whether every token is being refused: not loaded yet, silent too long, or closed. */
  readonly stale: boolean;
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
  /** Throws a `Rejection` (`revocations_stale`, `revoked`) or returns: one comparison, a few lookups. */
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
    closed || !sync.hasLoaded || nowMs - mirror.lastContactMs > maxStalenessMs;

  return {
    get loaded() {
      return sync.hasLoaded;
    },
    firstLoad,
    check(claims, header, nowMs) {
      if (isStale(nowMs)) reject('revocations_stale');
      if (mirror.isRevoked(claims, header)) reject('revoked');
    },
    state() {
      const nowMs = Date.now();
      mirror.prune(nowMs / 1000);
      const heardFromMs = Number.isFinite(mirror.lastContactMs) ? mirror.lastContactMs : startedMs;
      return {
        cursor: mirror.cursor,
        lagSec: Math.max(0, (nowMs - heardFromMs) / 1000),
        size: mirror.size,
        connected: sync.connected,
        stale: isStale(nowMs),
      };
    },
    async close() {
      closed = true;
      clearTimeout(deadline);
      await sync.close();
    },
  };
}
