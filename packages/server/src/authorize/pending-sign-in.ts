import { hkdfSync } from 'node:crypto';
import { open, SealedBoxError, seal } from '../platform/crypto/sealed-box.ts';
import type { AuthorizationRequest } from './authorization-request.ts';

/** Time to type a password (or fetch it from a manager) on the sign-in page. */
export const pendingSignInTtlMs = 10 * 60_000;
const maxSealedLength = 8192;
const aad = 'writ pending sign-in v1';

/**
 * The authorization request waiting on the sign-in page travels in the form itself, sealed
 * (AES-256-GCM under a key derived from the master key) with its expiry, not in a table: the
 * authorization endpoint is open to anyone with a client's link, and a row per page view would
 * be storage an outsider fills at will. Sealed rather than signed so the page holds nothing a
 * reader of the HTML learns beyond the URL it came from. Replaying one within its ten minutes
 * gains nothing: it still needs the user's password, and its code is single-use.
 */
export function derivePendingSignInKey(masterKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), aad, 32));
}

export function sealPendingSignIn(
  key: Uint8Array,
  request: AuthorizationRequest,
  nowMs: number,
): string {
  return seal(key, JSON.stringify({ request, expiresAt: nowMs + pendingSignInTtlMs }), aad);
}

/** The request, if `sealed` is one this service made and has not expired; else undefined. */
export function openPendingSignIn(
  key: Uint8Array,
  sealed: string,
  nowMs: number,
): AuthorizationRequest | undefined {
  if (sealed.length > maxSealedLength) return undefined;
  let plaintext: string;
  try {
    plaintext = open(key, sealed, aad);
  } catch (error) {
    if (error instanceof SealedBoxError) return undefined;
    throw error;
  }
  const pending = JSON.parse(plaintext) as { request: AuthorizationRequest; expiresAt: number };
  return pending.expiresAt > nowMs ? pending.request : undefined;
}
