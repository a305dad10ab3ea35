import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Challenge–response over the shared secret, once per connection, before anything else:
 *
 *   signer → client  { type: 'challenge', protocol, nonce: Ns }
 *   client → signer  { type: 'hello', proof: HMAC(secret, Ns ‖ "writ-signer-v1"), nonce: Nc }
 *   signer → client  { type: 'welcome', proof: HMAC(secret, Nc ‖ "writ-signer-v1/signer") }
 *
 * The socket's mode keeps other users out; this keeps out other processes of the same user
 * that do not hold the secret, and tells the service it reached the real signer. The two
 * directions use different labels, so an answer one side computed can never be replayed as
 * the other side's.
 */
export const protocolVersion = 'writ-signer-v1';
const signerLabel = `${protocolVersion}/signer`;

export const nonceBytes = 32;

export function freshNonce(): Buffer {
  return randomBytes(nonceBytes);
}

function proof(secret: Uint8Array, nonce: Uint8Array, label: string): Buffer {
  return createHmac('sha256', secret).update(nonce).update(label, 'utf8').digest();
}

export function clientProof(secret: Uint8Array, signerNonce: Uint8Array): Buffer {
  return proof(secret, signerNonce, protocolVersion);
}

export function signerProof(secret: Uint8Array, clientNonce: Uint8Array): Buffer {
  return proof(secret, clientNonce, signerLabel);
}

/** Compares in constant time; a proof of the wrong length (or not base64url) is simply wrong. */
export function proofMatches(expected: Buffer, received: unknown): boolean {
  if (typeof received !== 'string') return false;
  const bytes = Buffer.from(received, 'base64url');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** A nonce as received: base64url of exactly `nonceBytes` bytes, or undefined. */
export function parseNonce(value: unknown): Buffer | undefined {
  if (typeof value !== 'string') return undefined;
  const bytes = Buffer.from(value, 'base64url');
  return bytes.length === nonceBytes && bytes.toString('base64url') === value ? bytes : undefined;
}
