import type { KeyObject } from 'node:crypto';

/**
 * The memory layout of a batch of signature checks shared between the main thread and the verify
 * worker (signature-dispatch.ts, signature-worker.ts): one `SharedArrayBuffer` per batch, an
 * `Int32Array` table at its start and the bytes after it.
 *
 * - `table[0]`: the claim counter. Whoever takes a job adds 1 atomically and gets its index;
 *   an index at or past the job count means nothing is left.
 * - from `table[jobFields.first]`, `jobFields.size` ints per job: the key's id, where the signing
 *   input and the signature are in the bytes, and the result (`jobResult`).
 * - from `bytesStart`: signing inputs (ASCII) and signatures (ECDSA already as DER).
 */
export const jobFields = {
  first: 2,
  size: 6,
  keyId: 0,
  inputOffset: 1,
  inputLength: 2,
  signatureOffset: 3,
  signatureLength: 4,
  result: 5,
} as const;

/** What a job's result slot holds. Anything but `valid` is a refusal: the zero slot included. */
export const jobResult = { pending: 0, valid: 1, invalid: 2 } as const;

/** At most 256 jobs per batch (`batchMessage` keeps the count in 9 bits). */
export const maxJobsPerBatch = 256;
export const tableInts = jobFields.first + maxJobsPerBatch * jobFields.size;
export const bytesStart = tableInts * Int32Array.BYTES_PER_ELEMENT;
/** Room for the jobs' bytes: 128 KiB, two maximal (64 KiB) tokens, ~240 ordinary ones. */
export const batchBytes = 128 * 1024;
export const batchBufferSize = bytesStart + batchBytes;

/** A key the worker should hold under `id` (KeyObjects can be posted to workers). */
export interface KeyMessage {
  readonly type: 'key';
  readonly id: number;
  readonly digest: string | null;
  readonly key: KeyObject;
  /** RSA-PSS only: passed with the key, as on the main thread. */
  readonly padding?: number;
  readonly saltLength?: number;
}

/** A key no verifier holds any more. */
export interface ForgetMessage {
  readonly type: 'forget';
  readonly id: number;
}

/**
 * A batch buffer the worker should keep under `slot`: sent once per buffer, since structured-
 * cloning a `SharedArrayBuffer` on every batch measured as a large share of the main thread's
 * dispatch cost. A batch is then announced by one number (`batchMessage`).
 */
export interface BufferMessage {
  readonly type: 'buffer';
  readonly slot: number;
  readonly buffer: SharedArrayBuffer;
}

/** A buffer the main thread no longer uses. */
export interface ForgetBufferMessage {
  readonly type: 'forget-buffer';
  readonly slot: number;
}

/** Jobs per batch fit in the low bits of a batch message; the slot is in the bits above. */
const jobBits = 9;

/** The message announcing a batch: its buffer's slot and its job count, as one number. */
export const batchMessage = (slot: number, jobs: number): number => slot * (1 << jobBits) + jobs;

export const slotOf = (message: number): number => Math.floor(message / (1 << jobBits));
export const jobsOf = (message: number): number => message % (1 << jobBits);

/** What the main thread posts to the worker. The worker answers a batch with its slot. */
export type ToWorker = KeyMessage | ForgetMessage | BufferMessage | ForgetBufferMessage | number;
