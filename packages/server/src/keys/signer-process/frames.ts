import { SignerProtocolError } from './signer-errors.ts';

/**
 * The wire format between the service and the signer: each frame is
 * `u32 length ‖ u16 header length ‖ header (JSON object, UTF-8) ‖ body (raw bytes)`, big-endian,
 * where `length` counts everything after itself. Raw bytes keep signing inputs and signatures
 * out of JSON (no base64 cost, no escaping questions).
 */
export interface Frame {
  readonly header: Readonly<Record<string, unknown>>;
  readonly body: Uint8Array;
}

/**
 * A JWS signing input of the biggest token the service signs (an ID token or a JWT
 * introspection response) is a few KiB; an ML-DSA-65 public JWK about 2.7 KiB. 64 KiB leaves
 * room for both and bounds what one peer can make the other buffer.
 */
export const maxFrameBytes = 64 * 1024;

const lengthBytes = 4;
const headerLengthBytes = 2;

export function encodeFrame(header: Readonly<Record<string, unknown>>, body?: Uint8Array): Buffer {
  const headerBytes = Buffer.from(JSON.stringify(header), 'utf8');
  const bodyLength = body?.byteLength ?? 0;
  const length = headerLengthBytes + headerBytes.length + bodyLength;
  if (length > maxFrameBytes || headerBytes.length > 0xffff) {
    throw new SignerProtocolError('frame over the size cap');
  }
  const frame = Buffer.allocUnsafe(lengthBytes + length);
  frame.writeUInt32BE(length, 0);
  frame.writeUInt16BE(headerBytes.length, lengthBytes);
  headerBytes.copy(frame, lengthBytes + headerLengthBytes);
  if (body !== undefined) frame.set(body, lengthBytes + headerLengthBytes + headerBytes.length);
  return frame;
}

/**
 * Cuts a byte stream into frames. Refuses (throws `SignerProtocolError`) as soon as a length
 * prefix announces more than the cap, before buffering any of it, and on a header that is not
 * a JSON object; the caller closes that connection.
 */
export class FrameReader {
  #buffered: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.#buffered = this.#buffered.length === 0 ? chunk : Buffer.concat([this.#buffered, chunk]);
    const frames: Frame[] = [];
    for (;;) {
      if (this.#buffered.length < lengthBytes) break;
      const length = this.#buffered.readUInt32BE(0);
      if (length > maxFrameBytes) throw new SignerProtocolError('frame over the size cap');
      if (length < headerLengthBytes) throw new SignerProtocolError('frame too short');
      if (this.#buffered.length < lengthBytes + length) break;
      const frame = this.#buffered.subarray(lengthBytes, lengthBytes + length);
      this.#buffered = this.#buffered.subarray(lengthBytes + length);
      frames.push(decodeFrame(frame));
    }
    // Keep no view into a big chunk alive once its frames are read.
    if (this.#buffered.length > 0 && this.#buffered.byteOffset > 0) {
      this.#buffered = Buffer.from(this.#buffered);
    }
    return frames;
  }
}

function decodeFrame(frame: Buffer): Frame {
  const headerLength = frame.readUInt16BE(0);
  if (headerLengthBytes + headerLength > frame.length) {
    throw new SignerProtocolError('frame header longer than the frame');
  }
  let header: unknown;
  try {
    header = JSON.parse(
      frame.toString('utf8', headerLengthBytes, headerLengthBytes + headerLength),
    );
  } catch {
    throw new SignerProtocolError('frame header is not JSON');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw new SignerProtocolError('frame header is not a JSON object');
  }
  return {
    header: header as Record<string, unknown>,
    body: frame.subarray(headerLengthBytes + headerLength),
  };
}
