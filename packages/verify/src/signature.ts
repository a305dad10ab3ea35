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
import { derFromP1363 } from './ecdsa-der.ts';
import { reject } from './rejection.ts';
import { type SignatureParameters, signatureParameters } from './signature-algorithms.ts';
import { enqueue, shouldBatch } from './signature-dispatch.ts';

// The R‖S → DER re-encoding, here for the modules that have always imported it from here.
export { derFromP1363 };

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

/** Signatures checked by this process so far, wherever they were checked. */
let signaturesChecked = 0;

/** What the signature step has done so far in this process (for tests and the benchmark). */
export function signatureStats(): { readonly checked: number } {
  return { checked: signaturesChecked };
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
 * signature is good, a promise when the check was batched (signature-dispatch.ts: many verifies
 * in flight share the cores with a verify worker); refuses with `bad_signature` otherwise.
 */
export function verifySignature(
  segments: CompactSegments,
  key: VerificationKey,
): void | Promise<void> {
  const { parameters } = key;
  signaturesChecked++;
  if (parameters.family === 'hmac') {
    // A few µs on the main thread: never worth a hand-off.
    const input = Buffer.from(segments.signingInput, 'latin1');
    const mac = Buffer.from(segments.signature, 'base64url');
    if (!hmacMatches(parameters, key.key, input, mac)) reject('bad_signature');
    return;
  }
  const encoded = segments.signature;
  // Canonical unpadded base64url: its length alone says how many bytes it holds.
  if (
    (parameters.family === 'ecdsa' || parameters.family === 'ml-dsa') &&
    (encoded.length * 3) >> 2 !== parameters.signatureBytes
  ) {
    reject('bad_signature');
  }
  if (shouldBatch()) {
    const queued = enqueue(key, segments.signingInput, encoded);
    if (queued !== undefined) return queued;
  }
  const input = Buffer.from(segments.signingInput, 'latin1');
  let signature: Buffer = Buffer.from(encoded, 'base64url');
  if (parameters.family === 'ecdsa') signature = derFromP1363(signature);
  let valid: boolean;
  try {
    valid = cryptoVerify(parameters.digest, input, key.key, signature);
  } catch {
    valid = false; // a key or signature node:crypto cannot use is a failed verification, as in jose
  }
  if (!valid) reject('bad_signature');
}
