import {
  constants,
  createHmac,
  verify as cryptoVerify,
  type KeyObject,
  timingSafeEqual,
  type VerifyKeyObjectInput,
} from 'node:crypto';
import type { JwsAlgorithm } from '@writ/core';
import type { CompactSegments } from './compact.ts';
import { Rejection, reject } from './rejection.ts';
import { type SignatureParameters, signatureParameters } from './signature-algorithms.ts';

/**
 * A key ready to check one algorithm: the `KeyObject` built once when the key set was indexed,
 * with that algorithm's pinned parameters, so a verify allocates nothing for the key.
 */
export interface VerificationKey {
  readonly alg: JwsAlgorithm;
  readonly parameters: SignatureParameters;
  /**
   * What `crypto.verify` takes as its key: the bare `KeyObject` wherever node:crypto's behaviour
   * for that key type is exactly the pinned row (see `verificationKey`), else the `KeyObject`
   * with the row's options.
   */
  readonly key: KeyObject | VerifyKeyObjectInput;
}

/**
 * Binds a key to one algorithm's row of the table. The caller has checked the key's type fits.
 *
 * On Node 24 an options object (`{ key, padding }`, `{ key, dsaEncoding }`) costs 20–70 µs per
 * verify over the bare `KeyObject` (measured; docs/performance.md), so the options are passed
 * only where the bare key would mean something else: RSA-PSS (padding and salt length). RSA
 * PKCS#1 v1.5 is node:crypto's documented default for an `rsa` key; ECDSA signatures are given to
 * node:crypto as DER, re-encoded from the fixed-width R‖S the table pins (`derFromP1363`). The
 * differential test against jose holds every row to the result the table describes.
 */
export function verificationKey(alg: JwsAlgorithm, keyObject: KeyObject): VerificationKey {
  const parameters = signatureParameters[alg];
  if (parameters.family === 'rsa' && parameters.padding !== constants.RSA_PKCS1_PADDING) {
    return {
      alg,
      parameters,
      key: { key: keyObject, padding: parameters.padding, saltLength: parameters.saltLength },
    };
  }
  if (parameters.family === 'rsa' && keyObject.asymmetricKeyType !== 'rsa') {
    // An `rsa-pss` key would default to PSS: never bind one bare to a PKCS#1 row.
    throw new TypeError('RSA PKCS#1 rows need an rsa key');
  }
  return { alg, parameters, key: keyObject };
}

/**
 * The DER `ECDSA-Sig-Value` (RFC 3279) for a fixed-width R‖S signature (RFC 7518 §3.4). The input
 * length was checked; the output is the one canonical DER form, so no two inputs map to it.
 */
export function derFromP1363(signature: Buffer): Buffer {
  const half = signature.length / 2;
  const r = derInteger(signature.subarray(0, half));
  const s = derInteger(signature.subarray(half));
  const body = r.length + s.length;
  // P-521 signatures exceed 127 bytes of content: the length then takes a second byte.
  const header = body < 0x80 ? [0x30, body] : [0x30, 0x81, body];
  return Buffer.concat([Buffer.from(header), r, s]);
}

function derInteger(bytes: Buffer): Buffer {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  const value = bytes.subarray(start);
  // A set high bit would read as negative: DER prefixes a zero byte.
  const pad = (value[0] ?? 0) & 0x80 ? 1 : 0;
  const out = Buffer.allocUnsafe(2 + pad + value.length);
  out[0] = 0x02;
  out[1] = pad + value.length;
  if (pad === 1) out[2] = 0;
  value.copy(out, 2 + pad);
  return out;
}

// When to leave the main thread. A synchronous verify is the cheapest in CPU and latency, but it
// holds the event loop while it runs, and the second core idles. The threadpool form costs more
// CPU in all (job set-up, a thread wake-up, a callback) and adds latency, but lets the other core
// work. So:
// - While nothing is on the threadpool, verify synchronously — until many verifies have run
//   without the event loop getting a turn: then callers have many in flight (a burst of
//   requests, or loops awaiting their verifies), and the next goes to the threadpool.
// - While the threadpool has work, every verify goes there: many are in flight. (Letting the main
//   thread verify some synchronously meanwhile measured slower: it delays the threadpool's
//   answers, and the pool's four threads already fill both cores.)
// - When the threadpool empties, callers are back to one at a time.
// The state is process-wide on purpose: every verifier shares one event loop and one threadpool.
// The threshold was measured with bench/verify/run.ts (docs/performance.md).

/**
 * Synchronous verifies allowed between two turns of the event loop while the threadpool is idle,
 * at first. One at a time and many in flight look the same from here until one verify goes to the
 * threadpool: if others start while it is there, many are in flight; if none do, the caller is
 * alone, and the allowance doubles so that such a probe costs it less and less.
 */
const initialSynchronousPerTurn = 16;
const maxSynchronousPerTurn = 128;
let synchronousPerTurn = initialSynchronousPerTurn;

/** Synchronous verifies since the event loop last turned (its check phase). */
let synchronousSinceTurn = 0;
/** Verifies handed to the threadpool and not yet answered: the in-flight counter. */
let onThreadpool = 0;
/** Verifies that started while the threadpool had work, since it was last idle. */
let startedMeanwhile = 0;
let turnWatch: NodeJS.Immediate | undefined;

const loopTurned = (): void => {
  synchronousSinceTurn = 0;
  turnWatch = undefined;
};

function chooseThreadpool(): boolean {
  if (onThreadpool > 0) {
    startedMeanwhile++;
    return true;
  }
  if (synchronousSinceTurn >= synchronousPerTurn) return true;
  if (turnWatch === undefined) {
    // Unref'd: watching for the loop's next turn must not keep a process alive.
    turnWatch = setImmediate(loopTurned).unref();
  }
  synchronousSinceTurn++;
  return false;
}

function answered(): void {
  onThreadpool--;
  if (onThreadpool > 0) return;
  // The threadpool is idle again: was anyone else verifying meanwhile?
  synchronousPerTurn =
    startedMeanwhile === 0
      ? Math.min(synchronousPerTurn * 2, maxSynchronousPerTurn)
      : initialSynchronousPerTurn;
  startedMeanwhile = 0;
  synchronousSinceTurn = 0;
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
      answered();
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
  const input = Buffer.from(segments.signingInput, 'latin1');
  const { parameters } = key;
  signaturesChecked++;
  if (parameters.family === 'hmac') {
    const mac = Buffer.from(segments.signature, 'base64url');
    if (!hmacMatches(parameters, key.key, input, mac)) reject('bad_signature');
    return;
  }
  let signature: Buffer = Buffer.from(segments.signature, 'base64url');
  if (parameters.family === 'ecdsa') {
    if (signature.length !== parameters.signatureBytes) reject('bad_signature');
    signature = derFromP1363(signature);
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
