import { createHmac, hkdfSync } from 'node:crypto';

/** Derives the CSRF key from the master key, so there is no second secret to manage. */
export function deriveCsrfKey(masterKey: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', masterKey, new Uint8Array(0), 'writ csrf v1', 32));
}

/**
 * A cookie session's CSRF value: HMAC(key, session id). Unguessable without the key, the same
 * for the whole session — so every tab, and a page after reload (via refresh), gets the same
 * value — and never stored. Its hash rides in each access token as the `csrf` claim.
 */
export function csrfTokenFor(csrfKey: Uint8Array, sessionId: string): string {
  return createHmac('sha256', csrfKey).update(sessionId, 'utf8').digest('base64url');
}
