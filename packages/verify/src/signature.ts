import {
  createHmac,
  verify as cryptoVerify,
  type KeyObject,
  timingSafeEqual,
  type VerifyKeyObjectInput,
  type VerifyPublicKeyInput,
} from 'node:crypto';
import type { JwsAlgorithm } from '@writ/core';
import type { CompactSegments } from './compact.ts';
import { Rejection, reject } from './rejection.ts';
import { type SignatureParameters, signatureParameters } from './signature-algorithms.ts';

/**
 * A key ready to check one algorithm: the `KeyObject` built once when the key set was indexed,
 * wrapped with that algorithm's pinned parameters, so a verify allocates nothing for the key.
 */
export interface VerificationKey {
  readonly alg: JwsAlgorithm;
  readonly parameters: SignatureParameters;
  /** What `crypto.verify` takes as its key (asymmetric), or the HMAC secret. */
  readonly key: KeyObject | VerifyKeyObjectInput | VerifyPublicKeyInput;
}

/** Binds a key to one algorithm's row of the table. The caller has checked the key fits it. */
export function verificationKey(alg: JwsAlgorithm, keyObject: KeyObject): VerificationKey {
  const parameters = signatureParameters[alg];
  switch (parameters.family) {
    case 'eddsa':
    case 'hmac':
      return { alg, parameters, key: keyObject };
    case 'ecdsa':
      return { alg, parameters, key: { key: keyObject, dsaEncoding: parameters.dsaEncoding } };
    case 'rsa':
      return {
        alg,
        parameters,
        key:
          parameters.saltLength === undefined
            ? { key: keyObject, padding: parameters.padding }
            : { key: keyObject, padding: parameters.padding, saltLength: parameters.saltLength },
      };
  }
}

// When to leave the main thread. A synchronous verify is the cheapest in CPU and latency, but it
// holds the event loop: while it runs nothing else does, and the second core idles. The threadpool
// form costs more CPU in all (job set-up, a thread wake-up, a callback) and adds latency, but lets
// the other core work. So: synchronous while verifies come one at a time; once many arrive without
// the event loop getting a turn (a burst of requests, or callers with many verifies in flight),
// every further one goes to the threadpool until the loop turns again. The main thread then keeps
// verifying synchronously while the pool works, and both cores are busy. The threshold was
// measured with bench/verify/run.ts (docs/performance.md, "The switch to the threadpool").

/** Synchronous verifies allowed between two turns of the event loop. */
const synchronousPerTurn = 16;
/** Synchronous verifies since the event loop last turned (a threadpool answer, or its check phase). */
let synchronousSinceTurn = 0;
/** Verifies handed to the threadpool and not yet answered. */
let onThreadpool = 0;
let turnWatch: NodeJS.Immediate | undefined;

const loopTurned = (): void => {
  synchronousSinceTurn = 0;
  turnWatch = undefined;
};

function chooseThreadpool(): boolean {
  if (synchronousSinceTurn < synchronousPerTurn) {
    if (synchronousSinceTurn === 0 && turnWatch === undefined) {
      // Unref'd: watching for the loop's next turn must not keep a process alive.
      turnWatch = setImmediate(loopTurned).unref();
    }
    synchronousSinceTurn++;
    return false;
  }
  return true;
}

/** Signatures checked by this process so far, synchronously or not. */
let signaturesChecked = 0;

/** What the signature step has done so far in this process (for tests and the benchmark). */
export function signatureStats(): { readonly checked: number; readonly onThreadpool: number } {
  return { checked: signaturesChecked, onThreadpool };
}

function verifyOnThreadpool(
  digest: string | null,
  input: Buffer,
  key: VerificationKey['key'],
  signature: Buffer,
): Promise<void> {
  onThreadpool++;
  return new Promise((resolve, fail) => {
    cryptoVerify(digest, input, key, signature, (error, valid) => {
      onThreadpool--;
      // This callback runs in a new turn of the event loop.
      synchronousSinceTurn = 0;
      // A key or signature node:crypto cannot use is a failed verification, as in jose.
      if (error === null && valid) resolve();
      else fail(new Rejection('bad_signature'));
    });
  });
}

function hmacMatches(
  parameters: SignatureParameters & { family: 'hmac' },
  key: VerificationKey['key'],
  input: Buffer,
  signature: Buffer,
): boolean {
  const expected = createHmac(parameters.digest, key as KeyObject)
    .update(input)
    .digest();
  // timingSafeEqual needs equal lengths; the length of a MAC is public, its bytes are not.
  return signature.length === parameters.macBytes && timingSafeEqual(expected, signature);
}

/**
 * Checks the signature over the segments already split and checked to be canonical base64url:
 * the signing input is `header.payload` as ASCII bytes (RFC 7515 §5.2). Returns nothing when the
 * signature is good, a promise when the check went to the threadpool; refuses with
 * `bad_signature` otherwise.
 */
export function verifySignature(
  segments: CompactSegments,
  key: VerificationKey,
): void | Promise<void> {
  const input = Buffer.from(`${segments.header}.${segments.payload}`, 'latin1');
  const signature = Buffer.from(segments.signature, 'base64url');
  const { parameters } = key;
  signaturesChecked++;
  if (parameters.family === 'hmac') {
    if (!hmacMatches(parameters, key.key, input, signature)) reject('bad_signature');
    return;
  }
  if (parameters.family === 'ecdsa' && signature.length !== parameters.signatureBytes) {
    reject('bad_signature');
  }
  if (chooseThreadpool()) {
    return verifyOnThreadpool(parameters.digest, input, key.key, signature);
  }
  let valid: boolean;
  try {
    valid = cryptoVerify(parameters.digest, input, key.key, signature);
  } catch {
    valid = false; // see verifyOnThreadpool
  }
  if (!valid) reject('bad_signature');
}
