import { backoffDelayMs, defaultBackoff } from './backoff.ts';
import type { LogTerms } from './log-terms.ts';
import type { RevocationMirror } from './mirror.ts';
import {
  fetchSnapshotPage,
  openRevocationStream,
  type RevocationService,
} from './service-client.ts';
import { parseSnapshotPage } from './snapshot-page.ts';
import { SseParser } from './sse-parser.ts';
import { parseStreamMessage } from './stream-message.ts';
import { RevocationSyncError } from './sync-error.ts';

export interface RevocationSyncOptions {
  readonly service: RevocationService;
  readonly mirror: RevocationMirror;
  /**
   * A stream that delivers no event for this long is presumed dead (a half-open connection never
   * errors by itself) and is reopened.
   */
  readonly idleTimeoutMs: number;
  /** The consumer's staleness bound, checked against the heartbeat interval the service states. */
  readonly maxStalenessSec: number;
  readonly onError: (error: unknown) => void;
}

/** A heartbeat reported a head beyond the mirror's cursor; the entries up to it are awaited. */
interface AwaitedHead {
  readonly head: number;
  /** When that heartbeat arrived: once the cursor reaches `head`, the mirror is current as of it. */
  readonly receivedMs: number;
}

/**
 * Keeps a mirror in step with the service's log: pages the snapshot once, then follows the event
 * stream from the mirror's cursor. Any failure is reported and followed by a reconnection with
 * backoff that resumes from the cursor, so no entry is lost; a 401 is no exception (the mirror
 * goes stale and the verifier fails closed, which is the safe outcome).
 *
 * The mirror counts as current only when it is known to hold the log up to its head: a heartbeat
 * whose head the cursor has reached, or a snapshot read to its end. A heartbeat that reports a head
 * beyond the cursor is given one heartbeat interval for the stream to deliver the missing entries
 * (they may be in flight behind it); if the next heartbeat finds them still missing, the mirror
 * reads them from the snapshot, and while it cannot, it stays behind and goes stale.
 */
export class RevocationSync {
  readonly #options: RevocationSyncOptions;
  readonly #closing = new AbortController();
  readonly #firstSnapshot: Promise<void>;
  #markFirstSnapshot: () => void = () => {};
  #hasLoaded = false;
  #connected = false;
  #closed = false;
  #attempt = 0;
  #awaited: AwaitedHead | undefined;
  #head = 0;
  #reportedHeartbeatSec: number | undefined;
  #boundBelowHeartbeat = false;
  #wake: (() => void) | undefined;
  readonly #running: Promise<void>;

  constructor(options: RevocationSyncOptions) {
    this.#options = options;
    this.#firstSnapshot = new Promise((resolve) => {
      this.#markFirstSnapshot = resolve;
    });
    this.#running = this.#run();
  }

  /** Whether the whole snapshot has been applied once. */
  get hasLoaded(): boolean {
    return this.#hasLoaded;
  }

  /** Whether an event stream is open right now. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The highest log head the service has reported (0 before any heartbeat). */
  get head(): number {
    return this.#head;
  }

  /** Whether the staleness bound is under two of the heartbeat intervals the service stated. */
  get boundBelowHeartbeat(): boolean {
    return this.#boundBelowHeartbeat;
  }

  /** Settles once the snapshot has loaded, or the sync was closed before it did. */
  get firstSnapshot(): Promise<void> {
    return this.#firstSnapshot;
  }

  /** Aborts the request or stream under way, cancels any pending reconnection and waits for both. */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#closing.abort();
      this.#wake?.();
      this.#markFirstSnapshot();
    }
    await this.#running;
  }

  async #run(): Promise<void> {
    while (!this.#closed) {
      try {
        if (!this.#hasLoaded) {
          await this.#readSnapshot();
          this.#hasLoaded = true;
          this.#markFirstSnapshot();
        }
        await this.#followStream();
      } catch (error) {
        // Failures caused by close() aborting a request are the intended end, not errors.
        if (this.#closed) return;
        this.#options.onError(error);
      }
      await this.#sleep(backoffDelayMs(this.#attempt++, defaultBackoff));
    }
  }

  /**
   * Pages the snapshot from the mirror's cursor to its end. The last page holds the log as it stood
   * when that page was served, so the mirror is current as of the moment the request went out.
   */
  async #readSnapshot(): Promise<void> {
    const { mirror, service } = this.#options;
    let more = true;
    let pageRequestedMs = Date.now();
    while (more) {
      const after = mirror.cursor;
      pageRequestedMs = Date.now();
      const page = parseSnapshotPage(
        await fetchSnapshotPage(service, after, this.#closing.signal),
        after,
      );
      this.#adoptTerms(page.terms);
      for (const entry of page.entries) mirror.apply(entry);
      mirror.skipTo(page.cursor);
      more = page.more;
    }
    mirror.markCurrent(pageRequestedMs);
    mirror.prune(Date.now() / 1000);
    this.#awaited = undefined;
  }

  /** Follows one stream connection until it fails; it never ends without an error. */
  async #followStream(): Promise<void> {
    const { mirror, service, idleTimeoutMs } = this.#options;
    const connection = new AbortController();
    const idle = setTimeout(() => {
      connection.abort(new RevocationSyncError(`stream silent for ${idleTimeoutMs} ms; reopening`));
    }, idleTimeoutMs);
    const signal = AbortSignal.any([this.#closing.signal, connection.signal]);
    try {
      const body = await openRevocationStream(service, mirror.cursor, signal);
      this.#connected = true;
      const reader = body.getReader();
      const parser = new SseParser();
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (cause) {
          if (connection.signal.aborted) throw connection.signal.reason;
          throw new RevocationSyncError('stream broke', { cause });
        }
        if (chunk.done) throw new RevocationSyncError('stream ended');
        for (const event of parser.push(chunk.value)) {
          const message = parseStreamMessage(event);
          if (message.kind === 'other') continue;
          idle.refresh();
          if (message.kind === 'revocation') {
            mirror.apply(message.entry);
            this.#settleAwaited();
          } else {
            // A heartbeat proves the stream works end to end: start the next backoff from scratch.
            this.#attempt = 0;
            await this.#onHeartbeat(message.head, message.terms);
          }
        }
      }
    } finally {
      clearTimeout(idle);
      this.#connected = false;
      // Releases the connection when the stream is left on a malformed event.
      connection.abort();
    }
  }

  async #onHeartbeat(head: number, terms: LogTerms): Promise<void> {
    const { mirror } = this.#options;
    const receivedMs = Date.now();
    this.#adoptTerms(terms);
    mirror.prune(receivedMs / 1000);
    if (head > this.#head) this.#head = head;
    if (head <= mirror.cursor) {
      mirror.markCurrent(receivedMs);
      this.#awaited = undefined;
      return;
    }
    if (this.#awaited === undefined) {
      this.#awaited = { head, receivedMs };
      return;
    }
    // A whole heartbeat later the stream still has not delivered what the log held: entries from
    // another writer (a second instance, an admin tool) that this stream will never send.
    await this.#catchUp();
  }

  /** Entries up to an awaited head arrived: the mirror is current as of that heartbeat. */
  #settleAwaited(): void {
    const awaited = this.#awaited;
    if (awaited === undefined || this.#options.mirror.cursor < awaited.head) return;
    this.#options.mirror.markCurrent(awaited.receivedMs);
    this.#awaited = undefined;
  }

  async #catchUp(): Promise<void> {
    const { mirror } = this.#options;
    const behindAt = mirror.cursor;
    try {
      await this.#readSnapshot();
    } catch (cause) {
      if (this.#closed) throw cause;
      // The mirror stays behind and is not current: past its bound it fails closed. The next
      // heartbeat tries again.
      this.#options.onError(
        new RevocationSyncError(
          `the log's head is ${this.#head} but the mirror holds entries only up to ${behindAt}, and the snapshot could not supply the rest`,
          { code: 'behind_head', cause },
        ),
      );
    }
  }

  /**
   * Records what the service states about its log, and reports a staleness bound that two of its
   * heartbeat intervals exceed: such a mirror would go stale whenever one heartbeat is late.
   */
  #adoptTerms(terms: LogTerms): void {
    const { mirror, maxStalenessSec, onError } = this.#options;
    mirror.setTerms(terms);
    this.#boundBelowHeartbeat = maxStalenessSec < 2 * terms.heartbeatSec;
    if (this.#boundBelowHeartbeat && this.#reportedHeartbeatSec !== terms.heartbeatSec) {
      onError(
        new RevocationSyncError(
          `maxStalenessSec (${maxStalenessSec} s) is under two of the service's heartbeat intervals (${terms.heartbeatSec} s): raise it to at least ${2 * terms.heartbeatSec} s`,
          { code: 'staleness_bound_below_heartbeat' },
        ),
      );
    }
    this.#reportedHeartbeatSec = this.#boundBelowHeartbeat ? terms.heartbeatSec : undefined;
  }

  #sleep(ms: number): Promise<void> {
    if (this.#closed) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#wake = undefined;
        resolve();
      }, ms);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}
