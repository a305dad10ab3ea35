import { backoffDelayMs, defaultBackoff } from './backoff.ts';
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
  readonly onError: (error: unknown) => void;
}

/**
 * Keeps a mirror in step with the service's log: pages the snapshot once, then follows the event
 * stream from the mirror's cursor. Any failure is reported and followed by a reconnection with
 * backoff that resumes from the cursor, so no entry is lost; a 401 is no exception (the mirror
 * goes stale and the verifier fails closed, which is the safe outcome).
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
        if (!this.#hasLoaded) await this.#loadSnapshot();
        await this.#followStream();
      } catch (error) {
        // Failures caused by close() aborting a request are the intended end, not errors.
        if (this.#closed) return;
        this.#options.onError(error);
      }
      await this.#sleep(backoffDelayMs(this.#attempt++, defaultBackoff));
    }
  }

  async #loadSnapshot(): Promise<void> {
    const { mirror, service } = this.#options;
    let more = true;
    while (more) {
      const after = mirror.cursor;
      const page = parseSnapshotPage(
        await fetchSnapshotPage(service, after, this.#closing.signal),
        after,
      );
      for (const entry of page.entries) mirror.apply(entry);
      mirror.skipTo(page.cursor);
      mirror.touch(Date.now());
      more = page.more;
    }
    this.#hasLoaded = true;
    this.#markFirstSnapshot();
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
          if (message.kind === 'revocation') mirror.apply(message.entry);
          // A heartbeat proves the stream works end to end: start the next backoff from scratch.
          else this.#attempt = 0;
          mirror.touch(Date.now());
          idle.refresh();
        }
      }
    } finally {
      clearTimeout(idle);
      this.#connected = false;
      // Releases the connection when the stream is left on a malformed event.
      connection.abort();
    }
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
