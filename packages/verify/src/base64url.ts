const alphabet = /^[A-Za-z0-9_-]*$/;

/** Bits that a base64url character carries, indexed by char code; -1 for characters outside the alphabet. */
export const sextet: Readonly<Int8Array> = new Int8Array(128).fill(-1);
'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'
  .split('')
  .forEach((char, index) => {
    (sextet as Int8Array)[char.charCodeAt(0)] = index;
  });

/**
 * True when `segment` is canonical unpadded base64url: only alphabet characters, a length that
 * encodes whole bytes, and zero in the unused low bits of the last character. Without the last
 * rule several strings decode to the same bytes, so a signature could be altered and still verify
 * (signature malleability).
 */
export function isCanonicalBase64url(segment: string): boolean {
  if (!alphabet.test(segment)) return false;
  const remainder = segment.length % 4;
  if (remainder === 1) return false;
  if (remainder === 0) return true;
  const last = sextet[segment.charCodeAt(segment.length - 1)] ?? -1;
  // 2 chars carry 1 byte (4 spare bits), 3 chars carry 2 bytes (2 spare bits).
  const spareMask = remainder === 2 ? 0b1111 : 0b11;
  return (last & spareMask) === 0;
}

export function decodeBase64url(segment: string): Buffer {
  return Buffer.from(segment, 'base64url');
}
