import { Worker } from 'node:worker_threads';

/**
 * The worker's whole program: its own connection to the file, one PASSIVE checkpoint per
 * message. `synchronous = FULL` on this connection because SQLite syncs a checkpoint by the
 * checkpointing connection's setting: the log before its pages are copied, the database file
 * after (OFF would skip both). The connection never writes a row.
 */
const workerSource = `
const { parentPort, workerData } = require('node:worker_threads');
const { DatabaseSync } = require('node:sqlite');
const db = new DatabaseSync(workerData.path);
db.exec('PRAGMA busy_timeout = 5000; PRAGMA synchronous = FULL;');
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');
parentPort.on('message', () => {
  try {
    checkpoint.get();
    parentPort.postMessage({ ok: true });
  } catch (error) {
    parentPort.postMessage({ ok: false, message: String(error && error.message) });
  }
});
`;

/**
 * Checkpoints the write-ahead log on a worker thread, so copying its pages into the database
 * file and the two fsyncs that go with it never stop the event loop. SQLite otherwise runs this
 * inside the COMMIT that took the log past 1,000 pages, on the thread that called COMMIT (the
 * event loop here): every few hundred rotations, one commit held every request for the copy and
 * two fsyncs.
 *
 * A PASSIVE checkpoint takes no write lock: the service's connection goes on committing while it
 * runs, and once the log is wholly copied the next transaction starts the log over. If the worker
 * fails, `onUnavailable` is told once and no more checkpoints are asked of it (the caller lets
 * SQLite checkpoint in COMMIT again).
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #onUnavailable: () => void;
  #running = false;
  #unavailable = false;

  constructor(path: string, onUnavailable: () => void) {
    this.#onUnavailable = onUnavailable;
    this.#worker = new Worker(workerSource, { eval: true, workerData: { path } });
    // A service shutting down does not wait for a checkpoint it does not need.
    this.#worker.unref();
    this.#worker.on('message', (answer: { ok: boolean }) => {
      this.#running = false;
      if (!answer.ok) this.#giveUp();
    });
    this.#worker.on('error', () => this.#giveUp());
    this.#worker.on('exit', () => this.#giveUp());
  }

  /** Asks for a checkpoint, unless one is under way already. */
  request(): void {
    if (this.#running || this.#unavailable) return;
    this.#running = true;
    this.#worker.postMessage('checkpoint');
  }

  /** Whether a checkpoint is under way (tests). */
  get running(): boolean {
    return this.#running;
  }

  async close(): Promise<void> {
    this.#unavailable = true;
    await this.#worker.terminate();
  }

  #giveUp(): void {
    if (this.#unavailable) return;
    this.#unavailable = true;
    this.#running = false;
    this.#onUnavailable();
  }
}
