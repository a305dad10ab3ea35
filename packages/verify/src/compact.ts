import { isAscii } from 'node:buffer';
import { isCanonicalBase64url } from './base64url.ts';
import { reject } from './rejection.ts';

/** A compact JWS split into its three segments, each checked to be canonical base64url. */
export interface CompactSegments {
  readonly header: string;
  readonly payload: string;
  readonly signature: string;
  /** `header.payload`, what the signature covers (RFC 7515 §5.2): a slice of the token, not a copy. */
  readonly signingInput: string;
}

/**
 * Splits a compact JWS. JWS JSON serialisation, JWE (five segments) and unsecured JWTs (empty
 * signature) are refused here, before anything is decoded.
 */
export function splitCompact(token: string): CompactSegments {
  const first = token.indexOf('.');
  const second = first === -1 ? -1 : token.indexOf('.', first + 1);
  if (second === -1 || token.indexOf('.', second + 1) !== -1) reject('unsupported_serialization');
  const header = token.slice(0, first);
  const payload = token.slice(first + 1, second);
  const signature = token.slice(second + 1);
  if (header === '' || payload === '' || signature === '') reject('malformed');
  if (
    !isCanonicalBase64url(header) ||
    !isCanonicalBase64url(payload) ||
    !isCanonicalBase64url(signature)
  ) {
    reject('malformed');
  }
  return { header, payload, signature, signingInput: token.slice(0, second) };
}

/** Decodes a segment holding a JSON object; anything else (array, string, invalid UTF-8) is malformed. */
export function decodeJsonObject(segment: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    const bytes = Buffer.from(segment, 'base64url');
    // ASCII is valid UTF-8 and decodes to the same characters: the strict decoder is needed
    // only when some byte is not ASCII (a token's JSON almost never has one).
    parsed = JSON.parse(isAscii(bytes) ? bytes.toString('latin1') : utf8.decode(bytes));
  } catch {
    reject('malformed');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) reject('malformed');
  return parsed as Record<string, unknown>;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
