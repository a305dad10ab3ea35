import { performance } from 'node:perf_hooks';
import type { Frame } from './frames.ts';
import { SignerConnection } from './signer-connection.ts';
import { SignerUnavailableError } from './signer-errors.ts';

export interface SignerClientOptions {
  readonly socketPath: string;
  readonly secret: Uint8Array;
  /** Every call, reconnecting included, answers within this, or fails. Default 1000 ms. */
  readonly callTimeoutMs?: number;
  /** Persistent connections, used in turn. Default 1 (one carries tens of thousands of signatures/s). */
  readonly connections?: number;
  /** Wait after the first failed connect, doubled per failure up to `maxBackoffMs`. Default 50 ms. */
  readonly initialBackoffMs?: number;
  /** Default 2000 ms. */
  readonly maxBackoffMs?: number;
}

interface Slot {
  connection: SignerConnection | undefined;
  connecting: Promise<SignerConnection> | undefined;
  failures: number;
  /** performance.now() before which no new connect is tried. */
  nextAttemptAt: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function withDeadline<T>(promise: Promise<T>, deadline: number): Promise<T> {
  const remaining = deadline - performance.now();
  if (remaining <= 0)
    return Promise.reject(new SignerUnavailableError('the signer call timed out'));
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new SignerUnavailableError('the signer call timed out')),
      remaining,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Persistent authenticated connections to the signer, reconnected on demand with exponential
 * backoff. A call never waits past its timeout: when the signer is down and the next connect
 * attempt is due only after the call's deadline, the call fails at once.
 */
export class SignerClient {
  readonly #options: Required<SignerClientOptions>;
  readonly #slots: Slot[];
  #turn = 0;
  #closed = false;

  constructor(options: SignerClientOptions) {
    this.#options = {
      callTimeoutMs: 1000,
      connections: 1,
      initialBackoffMs: 50,
      maxBackoffMs: 2000,
      ...options,
    };
    this.#slots = Array.from({ length: Math.max(1, this.#options.connections) }, () => ({
      connection: undefined,
      connecting: undefined,
      failures: 0,
      nextAttemptAt: 0,
    }));
  }

  /**
   * One request. `retryable` calls (signing, setting a state: doing them twice does no harm)
   * are sent once more when the connection they went out on dropped, time permitting.
   */
  async call(
    header: Record<string, unknown>,
    body: Uint8Array | undefined,
    retryable: boolean,
  ): Promise<Frame> {
    const deadline = performance.now() + this.#options.callTimeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      const connection = await this.#connection(deadline);
      try {
        return await connection.request(header, body, Math.max(1, deadline - performance.now()));
      } catch (error) {
        const again =
          error instanceof SignerUnavailableError &&
          retryable &&
          attempt === 0 &&
          connection.closed &&
          performance.now() < deadline;
        if (!again) throw error;
      }
    }
  }

  close(): void {
    this.#closed = true;
    for (const slot of this.#slots) slot.connection?.close();
  }

  #connection(deadline: number): Promise<SignerConnection> {
    if (this.#closed)
      return Promise.reject(new SignerUnavailableError('the signer client is closed'));
    const slot = this.#slots[this.#turn] as Slot;
    this.#turn = (this.#turn + 1) % this.#slots.length;
    if (slot.connection !== undefined && !slot.connection.closed)
      return Promise.resolve(slot.connection);
    if (slot.connecting === undefined) {
      if (slot.nextAttemptAt >= deadline) {
        return Promise.reject(
          new SignerUnavailableError('the signer is unreachable (reconnecting with backoff)'),
        );
      }
      slot.connecting = this.#connect(slot).finally(() => {
        slot.connecting = undefined;
      });
    }
    return withDeadline(slot.connecting, deadline);
  }

  async #connect(slot: Slot): Promise<SignerConnection> {
    const wait = slot.nextAttemptAt - performance.now();
    if (wait > 0) await sleep(wait);
    try {
      const connection = await SignerConnection.connect(
        this.#options.socketPath,
        this.#options.secret,
        this.#options.callTimeoutMs,
        () => {
          if (slot.connection === connection) slot.connection = undefined;
        },
      );
      if (this.#closed) {
        connection.close();
        throw new SignerUnavailableError('the signer client is closed');
      }
      slot.connection = connection;
      slot.failures = 0;
      slot.nextAttemptAt = 0;
      return connection;
    } catch (error) {
      slot.failures += 1;
      const backoff = Math.min(
        this.#options.maxBackoffMs,
        this.#options.initialBackoffMs * 2 ** (slot.failures - 1),
      );
      // Jitter, so several service instances do not reconnect in lockstep.
      slot.nextAttemptAt = performance.now() + backoff * (0.5 + Math.random() / 2);
      throw error;
    }
  }
}
