import { type SessionTiming, scheduleFrom } from './refresh-schedule.ts';
import { readCookieGrant } from './service-responses.ts';
import type { SessionTransport } from './session-transport.ts';

/**
 * Cookie mode: the access and refresh tokens live in HttpOnly cookies that page scripts cannot
 * read, so an injected script cannot steal them. The client holds only the CSRF value, which is
 * useless without the cookies.
 */
export interface CookieSession extends SessionTiming {
  readonly csrfToken: string;
}

/** Methods the service's CSRF check lets through without `X-CSRF-Token`. */
const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function cookieTransport(
  issuer: string,
  leewaySec: number,
): SessionTransport<CookieSession> {
  return {
    mode: 'cookie',
    credentials: 'include',
    recoversByRenewing: true,
    renewLockName: `writ-refresh ${issuer}`,
    signInBody: (email, password) => JSON.stringify({ email, password, mode: 'cookie' }),
    // No body: the refresh cookie is the credential, and the service refuses a request that
    // carries a token in both places.
    // The custom header makes a cross-origin page's request non-simple, so the browser asks the
    // service first (CORS preflight), which it never allows: a sibling subdomain cannot trigger
    // refreshes even though SameSite counts it as the same site.
    renewRequest: () => ({ method: 'POST', headers: { 'x-writ-refresh': '1' } }),
    readGrant(answer, receivedAt) {
      const grant = readCookieGrant(answer);
      return {
        csrfToken: grant.csrfToken,
        ...scheduleFrom(receivedAt, grant.expiresInSec, leewaySec),
      };
    },
    authorize(session, headers, method) {
      if (!safeMethods.has(method)) headers.set('x-csrf-token', session.csrfToken);
    },
    dpopBoundToken: () => undefined,
    // The CSRF value is recovered by refreshing (the service answers every refresh with it), so
    // it never needs to be stored where a page script could read it.
    persists: false,
    load: async () => undefined,
    save: async () => {},
    clear: async () => {},
  };
}
