/**
 * ECDSA signatures for node:crypto: JWS carries R‖S of fixed width (RFC 7518 §3.4); the fastest
 * form node:crypto takes is DER (`ECDSA-Sig-Value`, RFC 3279), so the signature step re-encodes.
 * The input length was checked; the output is the one canonical DER form, so no two inputs map
 * to it.
 */

/** The longest DER encoding of an R‖S signature of `width` bytes: 3 header + 2 × (2 + 1 pad). */
export const derOverhead = 9;

/** Significant bytes of a big-endian unsigned integer (at least one). */
function integerStart(bytes: Uint8Array, from: number, to: number): number {
  let start = from;
  while (start < to - 1 && bytes[start] === 0) start++;
  return start;
}

/**
 * Writes the DER form of the R‖S `signature` into `target` at `offset` (room for
 * `signature.length + derOverhead` bytes) and returns its length. No allocation.
 */
export function writeDerFromP1363(
  signature: Uint8Array,
  target: Uint8Array,
  offset: number,
): number {
  const half = signature.length >> 1;
  const rStart = integerStart(signature, 0, half);
  const sStart = integerStart(signature, half, signature.length);
  // A set high bit would read as negative: DER prefixes a zero byte.
  const rPad = (signature[rStart] ?? 0) & 0x80 ? 1 : 0;
  const sPad = (signature[sStart] ?? 0) & 0x80 ? 1 : 0;
  const rLength = half - rStart + rPad;
  const sLength = signature.length - sStart + sPad;
  const body = 4 + rLength + sLength;
  let at = offset;
  target[at++] = 0x30;
  // P-521 signatures exceed 127 bytes of content: the length then takes a second byte.
  if (body >= 0x80) target[at++] = 0x81;
  target[at++] = body;
  target[at++] = 0x02;
  target[at++] = rLength;
  if (rPad === 1) target[at++] = 0;
  target.set(signature.subarray(rStart, half), at);
  at += half - rStart;
  target[at++] = 0x02;
  target[at++] = sLength;
  if (sPad === 1) target[at++] = 0;
  target.set(signature.subarray(sStart), at);
  at += signature.length - sStart;
  return at - offset;
}

/** The DER form of an R‖S signature, in a new buffer. */
export function derFromP1363(signature: Buffer): Buffer {
  const out = Buffer.allocUnsafe(signature.length + derOverhead);
  return out.subarray(0, writeDerFromP1363(signature, out, 0));
}
