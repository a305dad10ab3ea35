import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { WritError } from '../errors.ts';

const version = 'v1';
const ivBytes = 12;
const tagBytes = 16;

/** Thrown when sealed data cannot be opened: wrong master key, or tampered data. */
export class SealedBoxError extends WritError<'ERR_SEALED_BOX_UNOPENABLE'> {
  override readonly name = 'SealedBoxError';
  readonly code = 'ERR_SEALED_BOX_UNOPENABLE';
}

/**
 * Encrypts `plaintext` with AES-256-GCM under `key`. `context` (e.g. the key id) is bound as
 * additional authenticated data, so a sealed value moved to another row will not open.
 * Format: `v1.<iv>.<ciphertext>.<tag>` in base64url.
 */
export function seal(key: Uint8Array, plaintext: string, context: string): string {
  const iv = randomBytes(ivBytes);
  const cipher = createCipheriv('aes-256-gcm', key, iv, { authTagLength: tagBytes });
  cipher.setAAD(Buffer.from(context, 'utf8'));
  const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
  return [version, iv, ciphertext, cipher.getAuthTag()]
    .map((part) => (typeof part === 'string' ? part : part.toString('base64url')))
    .join('.');
}

export function open(key: Uint8Array, sealed: string, context: string): string {
  const parts = sealed.split('.');
  const [v, iv, ciphertext, tag] = parts;
  if (
    parts.length !== 4 ||
    v !== version ||
    iv === undefined ||
    ciphertext === undefined ||
    tag === undefined
  ) {
    throw new SealedBoxError('unrecognised sealed value');
  }
  // GCM accepts tags cut down to 4 bytes, and a cut tag still verifies: a 4-byte tag is forged
  // in 2^32 tries. Only the full tag (and the IV size sealing uses) is ever accepted.
  const ivValue = Buffer.from(iv, 'base64url');
  const tagValue = Buffer.from(tag, 'base64url');
  if (ivValue.length !== ivBytes || tagValue.length !== tagBytes) {
    throw new SealedBoxError('unrecognised sealed value');
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, ivValue, { authTagLength: tagBytes });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tagValue);
    return Buffer.concat([
      decipher.update(Buffer.from(ciphertext, 'base64url')),
      decipher.final(),
    ]).toString('utf8');
  } catch {
    throw new SealedBoxError('cannot open sealed value: wrong master key or tampered data');
  }
}
