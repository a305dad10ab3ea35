import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { ActivityRecord, ActivityType } from './activity-record.ts';
import type { ActivityStores } from './activity-store.ts';

/**
 * Writes activity off the answer's path. A committed write on SQLite is an fsync (about a
 * millisecond); done inside the request, the failed-sign-in row made a wrong password on a real
 * account measurably slower than one on an unknown account, which told an attacker the account
 * existed. Entries go into a bounded in-memory queue and are written in batches, one transaction
 * per batch, shortly after; the request never waits for them.
 *
 * What it does not take: entries that must commit with the change they describe (a
 * `refresh_reuse` with the revocation of its session, a sign-in with its session) are written by
 * their flow in its own transaction, where they add a row to a commit that happens anyway.
 */
export interface ActivityRecorder {
  /** Queues an entry. Never waits and never throws: a full queue drops (and counts) instead. */
  record(entry: ActivityRecord): void;
  /** Resolves once everything queued before the call has been written (or failed). */
  flush(): Promise<void>;
  /** Writes what is queued and stops taking entries (later ones are counted as dropped). */
  close(): Promise<void>;
  /** Counters for operators and tests. */
  stats(): ActivityRecorderStats;
}

export interface ActivityRecorderStats {
  readonly queued: number;
  readonly written: number;
  /** Entries dropped because the queue was full (or the recorder closed). */
  readonly dropped: number;
  /** Of `dropped`, security entries: dropped only when the whole queue held nothing else. */
  readonly droppedSecurity: number;
  /** Entries whose batch failed to commit (each failure also reaches `onError`). */
  readonly failed: number;
}

export interface ActivityRecorderOptions {
  readonly db: UnitOfWork<ActivityStores>;
  /** Told about a batch that failed to commit; never given the entries themselves. */
  readonly onError: (error: unknown) => void;
  /** Entries held at most (default 10,000): an outsider decides how many failures arrive. */
  readonly capacity?: number;
  /** Entries per transaction at most (default 500). */
  readonly batchSize?: number;
  /** How long the first queued entry waits for others to join its batch (default 50 ms). */
  readonly flushDelayMs?: number;
}

/** Entries a user or operator investigating an attack needs most: kept when others are dropped. */
const securityTypes: ReadonlySet<ActivityType> = new Set(['sign_in_failed', 'refresh_reuse']);

interface Queued {
  readonly sequence: number;
  readonly entry: ActivityRecord;
}

export function createActivityRecorder(options: ActivityRecorderOptions): ActivityRecorder {
  const capacity = options.capacity ?? 10_000;
  const batchSize = options.batchSize ?? 500;
  const flushDelayMs = options.flushDelayMs ?? 50;
  // Two queues, so the oldest routine entry can be dropped in O(1) when the queue is full;
  // batches merge them back in the order entries arrived.
  const security: Queued[] = [];
  const routine: Queued[] = [];
  let sequence = 0;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let writing: Promise<void> = Promise.resolve();
  const counters = { written: 0, dropped: 0, droppedSecurity: 0, failed: 0 };

  const size = () => security.length + routine.length;

  function makeRoom(): void {
    if (routine.length > 0) {
      routine.shift();
    } else {
      security.shift();
      counters.droppedSecurity++;
    }
    counters.dropped++;
  }

  function takeBatch(): ActivityRecord[] {
    const batch: ActivityRecord[] = [];
    while (batch.length < batchSize && size() > 0) {
      const fromSecurity =
        routine.length === 0 ||
        (security.length > 0 && (security[0]?.sequence ?? 0) < (routine[0]?.sequence ?? 0));
      const next = fromSecurity ? security.shift() : routine.shift();
      if (next !== undefined) batch.push(next.entry);
    }
    return batch;
  }

  async function writeAll(): Promise<void> {
    while (size() > 0) {
      const batch = takeBatch();
      try {
        await options.db.transaction(async (tx) => {
          for (const entry of batch) await tx.activity.record(entry);
        });
        counters.written += batch.length;
      } catch (error: unknown) {
        // Not re-queued: an entry the database refuses would be retried for ever.
        counters.failed += batch.length;
        options.onError(error);
      }
    }
  }

  function flush(): Promise<void> {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    writing = writing.then(writeAll);
    return writing;
  }

  return {
    record(entry) {
      if (closed) {
        counters.dropped++;
        if (securityTypes.has(entry.type)) counters.droppedSecurity++;
        return;
      }
      if (size() >= capacity) makeRoom();
      const queued = { sequence: sequence++, entry };
      (securityTypes.has(entry.type) ? security : routine).push(queued);
      if (timer === undefined) {
        timer = setTimeout(() => void flush(), flushDelayMs);
        // Shutdown flushes through close(); the timer alone must not keep a process alive.
        timer.unref();
      }
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
    stats: () => ({ queued: size(), ...counters }),
  };
}
