/**
 * The verify worker: checks signatures of batches the main thread shares with it
 * (signature-dispatch.ts). It only ever runs `crypto.verify` over bytes and keys it was given and
 * writes one result per job; everything about tokens (parsing, claims, the decision) stays on the
 * main thread. Self-contained on purpose (node: modules only): it is started from this file as
 * it is, TypeScript in this repository and JavaScript once published.
 */
import { type KeyObject, type VerifyKeyObjectInput, verify } from 'node:crypto';
import { parentPort } from 'node:worker_threads';
import {
  jobFields,
  jobResult,
  jobsOf,
  type KeyMessage,
  slotOf,
  type ToWorker,
  tableInts,
} from './signature-batch.ts';

interface WorkerKey {
  readonly digest: string | null;
  readonly key: KeyObject | VerifyKeyObjectInput;
}

const keys = new Map<number, WorkerKey>();

interface SharedBatch {
  readonly table: Int32Array;
  readonly bytes: Buffer;
}

const buffers = new Map<number, SharedBatch>();

function registerKey(message: KeyMessage): void {
  const key: KeyObject | VerifyKeyObjectInput =
    message.padding === undefined
      ? message.key
      : { key: message.key, padding: message.padding, saltLength: message.saltLength };
  keys.set(message.id, { digest: message.digest, key });
}

/**
 * Takes jobs from the batch until none is left: the main thread takes from the same counter, so
 * whoever is free does the next one and neither waits for the other.
 */
function work(message: number): void {
  const slot = slotOf(message);
  const jobs = jobsOf(message);
  const batch = buffers.get(slot);
  if (batch === undefined) {
    // Cannot happen (a buffer is sent before its first batch); answered, its jobs unanswered
    // are refused by the main thread.
    parentPort?.postMessage(slot);
    return;
  }
  const { table, bytes } = batch;
  for (;;) {
    const index = Atomics.add(table, 0, 1);
    if (index >= jobs) break;
    const at = jobFields.first + index * jobFields.size;
    const key = keys.get(table[at + jobFields.keyId] ?? -1);
    let valid = false;
    if (key !== undefined) {
      const inputAt = table[at + jobFields.inputOffset] ?? 0;
      const signatureAt = table[at + jobFields.signatureOffset] ?? 0;
      const input = bytes.subarray(inputAt, inputAt + (table[at + jobFields.inputLength] ?? 0));
      const signature = bytes.subarray(
        signatureAt,
        signatureAt + (table[at + jobFields.signatureLength] ?? 0),
      );
      try {
        valid = verify(key.digest, input, key.key, signature);
      } catch {
        valid = false; // a key or signature node:crypto cannot use is a failed verification
      }
    }
    Atomics.store(table, at + jobFields.result, valid ? jobResult.valid : jobResult.invalid);
  }
  // One message per batch, also when the main thread took every job: it tells the main thread
  // that this worker is done with the batch's memory, which may only then be reused (a reused
  // buffer still read by this loop would mix one batch's results into another's).
  parentPort?.postMessage(slot);
}

parentPort?.on('message', (message: ToWorker) => {
  if (typeof message === 'number') {
    work(message);
    return;
  }
  switch (message.type) {
    case 'key':
      registerKey(message);
      break;
    case 'forget':
      keys.delete(message.id);
      break;
    case 'buffer':
      buffers.set(message.slot, {
        table: new Int32Array(message.buffer, 0, tableInts),
        bytes: Buffer.from(message.buffer),
      });
      break;
    case 'forget-buffer':
      buffers.delete(message.slot);
      break;
  }
});
