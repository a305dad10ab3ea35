import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The confirmation form's CSRF value: HMAC(key, label ‖ browser session id ‖ the request's
 * parameters). Another site cannot read it from our page (no CORS, never framed) and cannot make
 * it without the key, and it is bound to this browser's sign-in and to where the logout returns,
 * so a value seen once is useless for another session or another redirect. Derived, not stored,
 * like the CSRF value and the SSO cookie's MAC (same key, its own label).
 */
const label = 'writ logout confirmation\0';

export interface ConfirmedRequest {
  readonly clientId: string | undefined;
  readonly redirectUri: string | undefined;
  readonly state: string | undefined;
}

function valueFor(key: Uint8Array, browserSessionId: string, request: ConfirmedRequest): string {
  return createHmac('sha256', key)
    .update(
      [
        label + browserSessionId,
        request.clientId ?? '',
        request.redirectUri ?? '',
        request.state ?? '',
      ].join('\0'),
      'utf8',
    )
    .digest('base64url');
}

export function confirmationCsrfFor(
  key: Uint8Array,
  browserSessionId: string,
  request: ConfirmedRequest,
): string {
  return valueFor(key, browserSessionId, request);
}

export function isConfirmationCsrfValid(
  key: Uint8Array,
  browserSessionId: string,
  request: ConfirmedRequest,
  posted: string,
): boolean {
  const expected = Buffer.from(valueFor(key, browserSessionId, request));
  const presented = Buffer.from(posted);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
