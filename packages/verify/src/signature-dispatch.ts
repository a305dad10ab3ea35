import { verify as cryptoVerify, KeyObject } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { derOverhead, writeDerFromP1363 } from './ecdsa-der.ts';
import { Rejection } from './rejection.ts';
import type { VerificationKey } from './signature.ts';
import {
  batchBufferSize,
  batchBytes,
  batchMessage,
  bytesStart,
  jobFields,
  jobResult,
  type KeyMessage,
  maxJobsPerBatch,
  tableInts,
} from './signature-batch.ts';

// When a signature is checked where, and why.
//
// A synchronous `crypto.verify` on the main thread is the cheapest in CPU and latency, but it
// holds the event loop and leaves the second core idle. node:crypto's callback form puts each
// check on the libuv threadpool: measured on 2 cores, its per-job set-up, four threads competing
// for two cores and one callback per check kept it at 1.47–1.74× one core with 32 in flight. So:
//
// - One at a time (the event loop turns between verifies), every check is synchronous.
// - Once many verifies run without the event loop getting a turn (callers have many in flight),
//   the next ones are queued into a batch instead: one `SharedArrayBuffer` holding each job's
//   signing input and signature, written once. A batch is shared with one verify worker (a
//   `worker_thread`) in one message — at once when the worker has taken everything it was given,
//   else on the loop's next turn — and on that turn (check phase, after the callers' JavaScript)
//   the main thread takes jobs the worker has not taken yet, for a slice of ~0.15 ms, and comes
//   back for more on the next turn: the callers its checks settled queue their next verifies in
//   between, so the worker never runs dry while the main thread checks. Both take jobs from the
//   same atomic counter: whoever is free does the next one, and neither waits for the other.
//   The worker answers once per batch.
// - Verifies stay batched while the loop's turns queue more than one job each; a turn with one
//   job alone means the caller is back to one at a time.
// - A caller that awaits each verify in a loop with no I/O (a script, a test, a benchmark's
//   one-at-a-time loop) never lets the loop turn either, so the count alone would batch every
//   17th of its checks, each then alone in its batch and paying a loop turn (8% of the main
//   thread's time for RS256, measured). A batch opened by the count that finds itself alone is
//   that caller: the count it takes next time doubles, up to 1024; a turn with two or more in
//   flight, or any turn of the loop no batch asked for, brings it back to 16.
// The state is process-wide on purpose: every verifier shares one event loop and the cores.

/** Synchronous verifies between two turns of the event loop before verifies are batched. */
const synchronousPerTurn = 16;
/** The most that count grows to for a caller whose batched checks keep turning out alone. */
const maxSynchronousPerTurn = 1024;

/**
 * A batch the worker has not finished after this long is taken as a hung worker: the worker is
 * stopped and its jobs refused. A batch holds at most ~240 checks of ~0.1 ms.
 */
const stallMs = 5_000;
const firstRestartDelayMs = 100;
const maxRestartDelayMs = 60_000;

/** Whether a worker may be used at all: one core gains nothing from a second thread. */
const workerAllowed = availableParallelism() > 1;

/** A job's promise, resolved or rejected by whoever checked it. */
interface Settlers {
  readonly resolve: () => void;
  readonly reject: (reason: unknown) => void;
}

class Batch {
  /** Fixed for the buffer's life: how the worker knows it, and what it answers with. */
  readonly slot: number;
  /** The worker that holds this buffer (it was sent once). */
  sentTo: RunningWorker | undefined;
  readonly buffer = new SharedArrayBuffer(batchBufferSize);
  readonly table = new Int32Array(this.buffer, 0, tableInts);
  readonly bytes = Buffer.from(this.buffer);
  jobs = 0;
  used = bytesStart;
  settledJobs = 0;
  postedAtMs = 0;
  readonly keys: VerificationKey[] = [];
  readonly settlers: (Settlers | undefined)[] = [];

  constructor(slot: number) {
    this.slot = slot;
  }
}

let nextSlot = 1;
/** The batch verifies are being queued into, flushed on the loop's next turn. */
let open: Batch | undefined;
let flushScheduled = false;
/** Batched checks not answered yet. */
let unanswered = 0;
/** Whether, since the loop's last check phase, two or more batched checks were unanswered at once. */
let concurrentThisTurn = false;
/** Batches shared with the worker that it has not answered yet, by slot. */
const outstanding = new Map<number, Batch>();
/** Whether the loop's last turn saw several checks in flight at once. */
let batching = false;
let synchronousSinceTurn = 0;
/** How many synchronous verifies without a turn start batching now (see above). */
let synchronousLimit = synchronousPerTurn;
/** Whether the open batch was opened by that count rather than while batching. */
let probing = false;
let turnWatch: NodeJS.Immediate | undefined;

const loopTurned = (): void => {
  synchronousSinceTurn = 0;
  turnWatch = undefined;
  // A turn that no batch asked for: the callers are driven by I/O again, not one tight loop.
  if (open === undefined) synchronousLimit = synchronousPerTurn;
};

// ---------------------------------------------------------------------------------------------
// Counters (tests and the benchmark)

let checkedHere = 0;
let checkedByWorker = 0;
let refusedByWorkerLoss = 0;
let workerStarts = 0;
let batchesShared = 0;

/** What the dispatch has done so far in this process. */
export function dispatchStats(): {
  readonly checkedOnMainThread: number;
  readonly checkedByWorker: number;
  readonly refusedByWorkerLoss: number;
  readonly workerStarts: number;
  readonly batchesShared: number;
  readonly withWorker: number;
  readonly batchesWithWorker: number;
} {
  let withWorker = 0;
  for (const batch of outstanding.values()) withWorker += batch.jobs - batch.settledJobs;
  return {
    checkedOnMainThread: checkedHere,
    checkedByWorker,
    refusedByWorkerLoss,
    workerStarts,
    batchesShared,
    withWorker,
    batchesWithWorker: outstanding.size,
  };
}

// ---------------------------------------------------------------------------------------------
// The worker

interface RunningWorker {
  readonly thread: Worker;
  /** Key ids this worker has been sent. */
  readonly keysSent: Set<number>;
  readonly watchdog: NodeJS.Timeout;
  referenced: boolean;
}

let worker: RunningWorker | undefined;
let restartDelayMs = firstRestartDelayMs;
let nextStartAtMs = 0;

// The worker file sits beside this one, with the same extension: `.ts` in this repository (run
// by Node's type stripping), `.js` once compiled for publishing.
const workerUrl = new URL(
  `./signature-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`,
  import.meta.url,
);

const keyIds = new WeakMap<VerificationKey, number>();
let nextKeyId = 1;
// A key set refreshed from a jwksUri builds new keys: the worker forgets the old ones with them.
const forgetKey = new FinalizationRegistry<number>((id) => {
  if (worker === undefined) return;
  worker.keysSent.delete(id);
  worker.thread.postMessage({ type: 'forget', id });
});

function keyIdOf(key: VerificationKey): number {
  let id = keyIds.get(key);
  if (id === undefined) {
    id = nextKeyId++;
    keyIds.set(key, id);
    forgetKey.register(key, id);
  }
  return id;
}

function keyMessage(id: number, key: VerificationKey): KeyMessage {
  const { parameters } = key;
  const keyObject = key.key instanceof KeyObject ? key.key : (key.key.key as KeyObject);
  if (parameters.family === 'rsa' && keyObject !== key.key) {
    const saltLength = parameters.saltLength;
    return {
      type: 'key',
      id,
      digest: parameters.digest,
      key: keyObject,
      padding: parameters.padding,
      ...(saltLength === undefined ? {} : { saltLength }),
    };
  }
  return { type: 'key', id, digest: parameters.digest, key: keyObject };
}

/**
 * The process's Node options the worker takes: only those about how code is loaded (type
 * stripping, for this repository's `.ts` on Node 22) and profiling. A worker inherits all of them
 * by default, and some stop it from starting (`--input-type`, which a worker refuses).
 */
function workerExecArgv(): string[] {
  return process.execArgv.filter(
    (option) =>
      option.startsWith('--experimental-strip-types') ||
      option.startsWith('--experimental-transform-types') ||
      option.startsWith('--cpu-prof'),
  );
}

function startWorker(): RunningWorker | undefined {
  if (!workerAllowed || Date.now() < nextStartAtMs) return undefined;
  let thread: Worker;
  try {
    thread = new Worker(workerUrl, { name: 'writ-verify', execArgv: workerExecArgv() });
  } catch {
    workerLost();
    return undefined;
  }
  workerStarts++;
  // Never keeps a process alive while idle; referenced only while it holds jobs (see share()).
  thread.unref();
  const watchdog = setInterval(() => {
    const oldest = outstanding.values().next().value;
    // Only a batch with a job still unanswered: one whose answer is merely waiting for a busy
    // main thread to read it is no sign of a hung worker.
    if (oldest !== undefined && Date.now() - oldest.postedAtMs > stallMs && hasPendingJob(oldest)) {
      void thread.terminate();
    }
  }, 1_000).unref();
  const running: RunningWorker = { thread, keysSent: new Set(), watchdog, referenced: false };
  thread.on('message', (slot: number) => {
    const batch = outstanding.get(slot);
    if (batch !== undefined) workerAnswered(batch);
    // It works: a later crash starts over from the shortest delay.
    restartDelayMs = firstRestartDelayMs;
  });
  // An uncaught error in the worker is followed by 'exit', handled there; without a listener
  // the 'error' event would throw on the main thread.
  thread.on('error', () => {});
  thread.on('exit', () => {
    if (worker === running) workerLost();
  });
  return running;
}

/**
 * The worker is gone (crashed, failed to start, stopped as hung): every job it may have held is
 * refused — fail closed, never accepted on a result a dead thread may have half written — and a
 * new worker starts on a later flush, after a delay that doubles while starts keep failing.
 */
function workerLost(): void {
  if (worker !== undefined) clearInterval(worker.watchdog);
  worker = undefined;
  nextStartAtMs = Date.now() + restartDelayMs;
  restartDelayMs = Math.min(restartDelayMs * 2, maxRestartDelayMs);
  const lost = new Error('verify worker stopped');
  for (const batch of outstanding.values()) {
    for (let index = 0; index < batch.jobs; index++) {
      if (batch.settlers[index] !== undefined) {
        refusedByWorkerLoss++;
        settleWith(batch, index, lost);
      }
    }
  }
  outstanding.clear();
}

// ---------------------------------------------------------------------------------------------
// Batches

const freeBatches: Batch[] = [];
/** Batches with the worker at most; with the free ones, ≤ 4.5 MB of buffers in all. */
const maxOutstanding = 16;
/** Buffers kept for reuse (137 KiB each); more are made during a burst and dropped after it. */
const maxFreeBatches = 16;

function takeBatch(): Batch {
  return freeBatches.pop() ?? new Batch(nextSlot++);
}

function releaseBatch(batch: Batch): void {
  if (freeBatches.length >= maxFreeBatches) {
    if (batch.sentTo !== undefined && batch.sentTo === worker) {
      batch.sentTo.thread.postMessage({ type: 'forget-buffer', slot: batch.slot });
    }
    return;
  }
  // Only the jobs this batch held were written: clearing the whole table (256 jobs) on every
  // release cost ~1% of the main thread with 32 in flight, for batches of ~5 jobs.
  batch.table.fill(0, jobFields.first, jobFields.first + batch.jobs * jobFields.size);
  batch.jobs = 0;
  batch.used = bytesStart;
  batch.settledJobs = 0;
  batch.keys.length = 0;
  batch.settlers.length = 0;
  Atomics.store(batch.table, 0, 0);
  freeBatches.push(batch);
}

const badSignature = (): Rejection => new Rejection('bad_signature');

function settleWith(batch: Batch, index: number, outcome: true | Error | Rejection): void {
  const settlers = batch.settlers[index];
  if (settlers === undefined) return;
  batch.settlers[index] = undefined;
  batch.settledJobs++;
  unanswered--;
  if (outcome === true) settlers.resolve();
  else settlers.reject(outcome);
}

function hasPendingJob(batch: Batch): boolean {
  for (let index = 0; index < batch.jobs; index++) {
    const at = jobFields.first + index * jobFields.size + jobFields.result;
    if (Atomics.load(batch.table, at) === jobResult.pending) return true;
  }
  return false;
}

/** Settles the jobs of the batch the worker has finished so far. */
function settleFromWorker(batch: Batch): void {
  if (batch.settledJobs === batch.jobs) return;
  const { table } = batch;
  for (let index = 0; index < batch.jobs; index++) {
    if (batch.settlers[index] === undefined) continue;
    const result = Atomics.load(table, jobFields.first + index * jobFields.size + jobFields.result);
    if (result === jobResult.pending) continue;
    checkedByWorker++;
    settleWith(batch, index, result === jobResult.valid ? true : badSignature());
  }
}

/**
 * The worker is done with the batch: every job it took has its result, and it will not read the
 * batch's memory again, which may now be reused.
 */
function workerAnswered(batch: Batch): void {
  settleFromWorker(batch);
  outstanding.delete(batch.slot);
  // Cannot happen (the main thread finishes what it takes before the worker can answer), but a
  // job without a result must never be left hanging: refused.
  if (batch.settledJobs < batch.jobs) {
    for (let index = 0; index < batch.jobs; index++) settleWith(batch, index, badSignature());
  }
  if (outstanding.size === 0 && worker?.referenced === true) {
    worker.thread.unref();
    worker.referenced = false;
  }
  releaseBatch(batch);
}

/** Checks one job of the batch here, on the main thread, with the main thread's key. */
function checkHere(batch: Batch, index: number): void {
  const { table, bytes } = batch;
  const at = jobFields.first + index * jobFields.size;
  const inputAt = table[at + jobFields.inputOffset] ?? 0;
  const signatureAt = table[at + jobFields.signatureOffset] ?? 0;
  const key = batch.keys[index];
  let valid = false;
  if (key !== undefined) {
    try {
      valid = cryptoVerify(
        key.parameters.digest,
        bytes.subarray(inputAt, inputAt + (table[at + jobFields.inputLength] ?? 0)),
        key.key,
        bytes.subarray(signatureAt, signatureAt + (table[at + jobFields.signatureLength] ?? 0)),
      );
    } catch {
      valid = false; // a key or signature node:crypto cannot use is a failed verification
    }
  }
  checkedHere++;
  Atomics.store(table, at + jobFields.result, valid ? jobResult.valid : jobResult.invalid);
  settleWith(batch, index, valid ? true : badSignature());
}

/** Takes jobs from the batch until none is left (the worker takes from the same counter). */
function checkUntilEmpty(batch: Batch): void {
  for (;;) {
    const index = Atomics.add(batch.table, 0, 1);
    if (index >= batch.jobs) return;
    checkHere(batch, index);
  }
}

/**
 * Tests only: where every check goes, so the differential test can hold each path to jose's
 * answers. `worker`: batched and left to the worker, one at a time included; `main thread`:
 * synchronous, many in flight included; `dispatched`: as decided above.
 */
export type DispatchPath = 'dispatched' | 'worker' | 'main thread';
let forcedPath: DispatchPath = 'dispatched';

function share(batch: Batch, running: RunningWorker): void {
  for (let index = 0; index < batch.jobs; index++) {
    const key = batch.keys[index];
    if (key === undefined) continue;
    const id = keyIdOf(key);
    batch.table[jobFields.first + index * jobFields.size + jobFields.keyId] = id;
    if (!running.keysSent.has(id)) {
      running.keysSent.add(id);
      running.thread.postMessage(keyMessage(id, key));
    }
  }
  if (batch.sentTo !== running) {
    running.thread.postMessage({ type: 'buffer', slot: batch.slot, buffer: batch.buffer });
    batch.sentTo = running;
  }
  batch.postedAtMs = Date.now();
  batchesShared++;
  newestShared = batch;
  outstanding.set(batch.slot, batch);
  if (!running.referenced) {
    // Jobs with the worker: their callers are waiting, so the process must stay alive.
    running.thread.ref();
    running.referenced = true;
  }
  running.thread.postMessage(batchMessage(batch.slot, batch.jobs));
}

function flush(batch: Batch): void {
  if (open === batch) open = undefined;
  // Past `maxOutstanding` batches with the worker (a burst queued faster than the worker can even
  // answer), the main thread checks the batch alone: memory stays bounded.
  if ((batch.jobs > 1 && outstanding.size < maxOutstanding) || forcedPath === 'worker') {
    worker ??= startWorker();
    if (worker !== undefined) share(batch, worker);
  }
  // Shared: the main thread takes its part on the loop's turn, a slice at a time (below).
  if (outstanding.has(batch.slot)) return;
  checkUntilEmpty(batch);
  releaseBatch(batch);
}

/**
 * How long the main thread checks shared jobs per turn of the loop before it lets its callers'
 * JavaScript run again, and how many jobs it leaves to the worker when those callers have
 * JavaScript to run. Taking every job the worker had not taken yet (as this did until measured)
 * starved the worker: the callers whose checks the main thread settled could only queue their
 * next verifies after it, so the worker ran dry at the end of every batch while the main thread,
 * saturated, did half the signatures and all the parsing (EdDSA with 32 in flight: 73 µs of
 * main-thread CPU per verify against the worker's 68, 1.49× the floor). A slice lets the next
 * jobs reach the worker while it is busy, and the jobs left to it keep it busy while the main
 * thread runs its callers (1.59–1.70× in quiet runs; docs/performance.md). A turn costs a few µs.
 */
const mainSliceMs = 0.15;
const leftToWorker = 2;
/**
 * Only with more checks than this unanswered: at the tail of a burst (a few left, the worker
 * perhaps descheduled on a loaded machine) the main thread takes them all, so a caller left
 * alone after it is back to synchronous checks at once instead of sharing the tail's batches.
 */
const manyInFlight = 4;

/**
 * The main thread's part of the shared batches, for one slice: jobs the worker has not taken are
 * checked here — all but `leftToWorker` of them when more than `manyInFlight` are in flight
 * (the callers' JavaScript comes next, and the worker stays busy meanwhile), all of them
 * otherwise — then whatever the worker finished is settled. False when the slice ran out with
 * jobs left that the main thread should still take.
 */
function checkSharedSlice(): boolean {
  const deadline = performance.now() + mainSliceMs;
  const reserve = unanswered > manyInFlight ? leftToWorker : 0;
  let unclaimed = 0;
  for (const batch of outstanding.values()) {
    unclaimed += Math.max(0, batch.jobs - Atomics.load(batch.table, 0));
  }
  let sliceOver = false;
  for (const batch of outstanding.values()) {
    while (!sliceOver && unclaimed > reserve) {
      const index = Atomics.add(batch.table, 0, 1);
      if (index >= batch.jobs) break;
      unclaimed--;
      checkHere(batch, index);
      sliceOver = performance.now() >= deadline;
    }
    settleFromWorker(batch);
  }
  return !sliceOver || unclaimed <= reserve;
}

/**
 * The loop's check phase, once per turn while verifies are batched: the open batch is flushed,
 * and the main thread, done with the callers' JavaScript for this turn, takes jobs the worker has
 * not taken yet, for one slice; if some are left, it comes back to them on the next turn.
 */
const onTurn = (): void => {
  flushScheduled = false;
  if (open !== undefined) flush(open);
  if (forcedPath === 'worker') {
    for (const batch of outstanding.values()) settleFromWorker(batch);
  } else if (!checkSharedSlice() && !flushScheduled) {
    // Jobs left for the next turn, after the callers' JavaScript: taken then by whoever is free.
    flushScheduled = true;
    setImmediate(onTurn);
  }
  // Never two in flight at once this turn: the caller is back to one at a time. (Counting jobs
  // per turn would not do: a caller alone whose check the worker answers before the loop's
  // check phase queues its next one in the same turn.)
  batching = concurrentThisTurn || unanswered > 1;
  concurrentThisTurn = false;
  if (batching) synchronousLimit = synchronousPerTurn;
  else if (probing) {
    synchronousLimit = Math.min(synchronousLimit * 2, maxSynchronousPerTurn);
    // The raised count holds only while that caller keeps going without a turn of the loop: a
    // turn with no batch open means it stopped, and the next callers start from 16 again. Without
    // this watch, a loop that ended on its probe left the count up to 1024, and a burst of many
    // in flight after it ran up to 1024 checks on the main thread alone before any was batched.
    turnWatch ??= setImmediate(loopTurned).unref();
  }
  probing = false;
  if (!batching) synchronousSinceTurn = 0;
};

/** The batch most recently shared with the worker. */
let newestShared: Batch | undefined;

/**
 * Whether the worker has taken every job shared with it: it is busy with its last one or idle,
 * and the next job should go to it at once rather than wait for the loop's turn.
 */
function workerHasTakenAll(): boolean {
  if (newestShared === undefined || !outstanding.has(newestShared.slot)) return true;
  return Atomics.load(newestShared.table, 0) >= newestShared.jobs;
}

// ---------------------------------------------------------------------------------------------
// Entry points

/**
 * Whether the next check should be batched rather than done synchronously now. Counts the
 * synchronous ones: call it once per check, and check synchronously when it says no.
 */
export function shouldBatch(): boolean {
  if (forcedPath !== 'dispatched') return forcedPath === 'worker';
  if (batching || open !== undefined || outstanding.size > 0) return true;
  if (synchronousSinceTurn >= synchronousLimit) {
    probing = true;
    return true;
  }
  if (turnWatch === undefined) {
    // Unref'd: watching for the loop's next turn must not keep a process alive.
    turnWatch = setImmediate(loopTurned).unref();
  }
  synchronousSinceTurn++;
  return false;
}

let settlersOut: Settlers | undefined;
// One executor for every job's promise: no closure allocated per check.
const capture = (resolve: () => void, reject: (reason: unknown) => void): void => {
  settlersOut = { resolve, reject };
};

/** R‖S of the widest ECDSA signature (P-521), decoded here before its DER form is written. */
const rawSignature = Buffer.allocUnsafe(132);

/**
 * Queues one check of `encodedSignature` (canonical base64url; for ECDSA checked to be R‖S of the
 * row's width) over `signingInput` (ASCII, already checked), written into the batch's memory:
 * the signature decoded, and for ECDSA re-encoded as DER, once, for whichever thread checks it.
 * The promise resolves when the signature is good and rejects with `bad_signature` otherwise.
 * `undefined` when the job cannot be batched (too large): check it synchronously instead.
 */
export function enqueue(
  key: VerificationKey,
  signingInput: string,
  encodedSignature: string,
): Promise<void> | undefined {
  const ecdsa = key.parameters.family === 'ecdsa';
  const signatureBytes = ((encodedSignature.length * 3) >> 2) + (ecdsa ? derOverhead : 0);
  if (ecdsa && signatureBytes > rawSignature.length + derOverhead) return undefined;
  const needed = signingInput.length + signatureBytes;
  if (needed > batchBytes) return undefined;
  let batch = open;
  if (
    batch !== undefined &&
    (batch.jobs >= maxJobsPerBatch || batch.used + needed > batchBufferSize)
  ) {
    // Full: flush it now (shared, or checked here past the batches the worker may hold), so a
    // burst stays bounded in memory.
    flush(batch);
    batch = undefined;
  }
  if (batch === undefined) {
    batch = takeBatch();
    open = batch;
    if (!flushScheduled) {
      flushScheduled = true;
      setImmediate(onTurn);
    }
  }
  const index = batch.jobs++;
  const at = jobFields.first + index * jobFields.size;
  const { table, bytes } = batch;
  const inputAt = batch.used;
  const inputLength = bytes.write(signingInput, inputAt, 'latin1');
  const signatureAt = inputAt + inputLength;
  const signatureLength = ecdsa
    ? writeDerFromP1363(
        rawSignature.subarray(0, rawSignature.write(encodedSignature, 0, 'base64url')),
        bytes,
        signatureAt,
      )
    : bytes.write(encodedSignature, signatureAt, 'base64url');
  batch.used = signatureAt + signatureLength;
  table[at + jobFields.inputOffset] = inputAt;
  table[at + jobFields.inputLength] = inputLength;
  table[at + jobFields.signatureOffset] = signatureAt;
  table[at + jobFields.signatureLength] = signatureLength;
  batch.keys[index] = key;
  const promise = new Promise<void>(capture);
  batch.settlers[index] = settlersOut;
  settlersOut = undefined;
  if (++unanswered > 1) concurrentThisTurn = true;
  if (
    batching &&
    forcedPath === 'dispatched' &&
    worker !== undefined &&
    outstanding.size < maxOutstanding &&
    workerHasTakenAll()
  ) {
    // The worker is about to run dry while the main thread is still busy with its callers'
    // JavaScript: this batch goes to it now; the main thread takes from it on the loop's turn.
    open = undefined;
    share(batch, worker);
  }
  return promise;
}

/** Tests only: the running worker (to stop it as a crash would), and the switch above. */
export const dispatchForTests = {
  worker: (): Worker | undefined => worker?.thread,
  forcePath(path: DispatchPath): void {
    forcedPath = path;
  },
  /** Lets a test restart the worker at once after stopping it. */
  allowRestartNow(): void {
    nextStartAtMs = 0;
    restartDelayMs = firstRestartDelayMs;
  },
};
