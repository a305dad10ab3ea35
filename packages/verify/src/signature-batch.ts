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

export interface BatchMessage {
  readonly type: 'batch';
  readonly id: number;
  readonly buffer: SharedArrayBuffer;
  readonly jobs: number;
  readonly tableInts: number;
}

export type ToWorker = KeyMessage | ForgetMessage | BatchMessage;
