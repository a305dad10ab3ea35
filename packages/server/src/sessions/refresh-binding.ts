import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * The refresh cookie is path-scoped (`__Secure-`, `Path=/auth/refresh`) so the refresh token
 * reaches nothing but the refresh endpoint, even when the page and its APIs share the origin.
 * A sibling subdomain can set a cookie of that name for the parent domain, though, so a refresh
 * also needs this `__Host-` cookie, which only the service's own origin can set: it holds
 * HMAC(key, refresh token), rotated with the token. A planted refresh token has no matching
 * binding in the victim's browser; of two refresh cookies, the genuine one is the one that
 * matches. The binding is sent to every path (`__Host-` requires `Path=/`) but is worthless
 * without the refresh token it binds.
 */
export const refreshBindingCookieName = '__Host-writ-binding';

/** Domain-separated from the CSRF value (an HMAC of a session id) made with the same key. */
const label = 'writ refresh binding\0';

export function refreshBindingFor(csrfKey: Uint8Array, refreshToken: string): string {
  return createHmac('sha256', csrfKey)
    .update(label + refreshToken, 'utf8')
    .digest('base64url');
}

/** Whether `binding` was made for `refreshToken` (a constant-time comparison). */
export function isBoundTo(csrfKey: Uint8Array, binding: string, refreshToken: string): boolean {
  const expected = Buffer.from(refreshBindingFor(csrfKey, refreshToken));
  const presented = Buffer.from(binding);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}

/**
 * The one refresh cookie the binding vouches for, or undefined: none presented, no binding (or
 * two), or no cookie (or, impossibly, two) that matches it.
 */
export function boundRefreshToken(
  csrfKey: Uint8Array,
  refreshCookies: readonly string[],
  bindings: readonly string[],
): string | undefined {
  const [binding, ...extra] = bindings;
  if (binding === undefined || extra.length > 0) return undefined;
  const bound = refreshCookies.filter((token) => isBoundTo(csrfKey, binding, token));
  return bound.length === 1 ? bound[0] : undefined;
}
