import type { RevocationEntry } from '@writ/core';

/** The two reads the feed makes of the revocation log. */
export interface RevocationLogReads {
  /** Retained entries with a cursor above `after`, ascending, at most `limit`. */
  readAfter(after: number, limit: number): Promise<RevocationEntry[]>;
  /** The log's last cursor. */
  readHead(): Promise<number>;
}

export interface RevocationFeed {
  /**
   * Delivers every entry the feed reads from the log from now on, in cursor order with no gaps
   * other than pruned ones. Returns a function that ends the subscription. A subscriber awaits
   * `catchUp()` after subscribing and before reading its own backlog: that read then covers
   * everything up to where the feed starts delivering, so nothing falls between the two.
   */
  subscribe(listener: (entries: readonly RevocationEntry[]) => void): () => void;
  /**
   * Reads the log's head and delivers every retained entry up to it before resolving with it: a
   * heartbeat sent after this never announces a head whose entries the stream has not sent. Calls
   * made while a read is under way share the next read, which starts after that one.
   */
  catchUp(): Promise<number>;
  close(): void;
}

export interface RevocationFeedOptions {
  readonly log: RevocationLogReads;
  /**
   * How often the log is polled for entries other writers committed (another instance sharing the
   * database, an admin tool), which no notification in this process announces.
   */
  readonly pollMs: number;
  /** Told when a poll fails; the next poll retries. */
  readonly onError: (error: unknown) => void;
}

const pageLimit = 1000;

/**
 * One reader of the revocation log per service instance, feeding every open stream. Streams send
 * only what this feed read from the log, never what a notification carried: a notification is a
 * wake-up call, so an entry committed elsewhere can never be overtaken by a later local one (which
 * would move a consumer's cursor past it for good). The log hands out cursors in commit order
 * (SQLite serialises writers), so reading after the last cursor read misses nothing.
 *
 * It polls only while someone subscribes: the cost is one `max(cursor)` per poll interval.
 */
export function createRevocationFeed(options: RevocationFeedOptions): RevocationFeed {
  const { log, pollMs, onError } = options;
  const listeners = new Set<(entries: readonly RevocationEntry[]) => void>();
  let cursor: number | undefined;
  let running: Promise<number> | undefined;
  let queued: Promise<number> | undefined;
  let poller: NodeJS.Timeout | undefined;

  const readToHead = async (): Promise<number> => {
    const head = await log.readHead();
    // The first read starts at the head: subscribers read their own backlog before going live.
    let from = cursor ?? head;
    while (from < head) {
      const page = await log.readAfter(from, pageLimit);
      const last = page.at(-1);
      if (last === undefined) break;
      from = last.cursor;
      for (const listener of listeners) listener(page);
      if (page.length < pageLimit) break;
    }
    // Anything up to the head that was not returned had already become forgettable.
    cursor = Math.max(from, head);
    return head;
  };

  const start = (): Promise<number> => {
    const read = readToHead().finally(() => {
      if (running === read) running = undefined;
    });
    running = read;
    return read;
  };

  const catchUp = (): Promise<number> => {
    if (queued !== undefined) return queued;
    if (running === undefined) return start();
    const next = running
      .catch(() => undefined)
      .then(() => {
        queued = undefined;
        return start();
      });
    queued = next;
    return next;
  };

  const poll = (): void => {
    catchUp().catch(onError);
  };

  return {
    subscribe(listener) {
      listeners.add(listener);
      if (poller === undefined) {
        poller = setInterval(poll, pollMs);
        poller.unref();
      }
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0) {
          clearInterval(poller);
          poller = undefined;
          // The next subscriber starts the feed at the head again, not at a cursor left long ago.
          cursor = undefined;
        }
      };
    },
    catchUp,
    close() {
      listeners.clear();
      clearInterval(poller);
      poller = undefined;
    },
  };
}
