import type { MiddlewareHandler } from 'hono';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import { type AuthenticateOptions, createAuthenticator } from './authenticate.ts';

export type { AuthenticateOptions } from './authenticate.ts';

/** Context variables set by `honoAuthenticate`: read them with `c.get('auth')`. */
export interface WritVariables {
  auth: VerifiedToken;
}

/**
 * Hono middleware over web-standard `Request`: on success `c.get('auth')` holds the verified
 * token; otherwise the answer (400/401/403) is returned and the route never runs.
 */
export function honoAuthenticate(
  verifier: Verifier,
  options?: AuthenticateOptions,
): MiddlewareHandler<{ Variables: WritVariables }> {
  const authenticate = createAuthenticator(verifier, options);
  return async (c, next) => {
    const url = new URL(c.req.url);
    // Fetch Headers join repeated fields with ", ", which no single credential contains, so a
    // repeat still fails; a Cookie header joined with ", " only loses cookie-tossing detection
    // across headers, not within one.
    const headers = c.req.raw.headers;
    const all = (name: string): string[] => {
      const value = headers.get(name);
      return value === null ? [] : [value];
    };
    const outcome = await authenticate({
      method: c.req.method,
      url: `${url.pathname}${url.search}`,
      authorization: all('authorization'),
      cookie: all('cookie'),
      csrfToken: all('x-csrf-token'),
      dpop: all('dpop'),
      // The runtime's own idea of the URL: on Node (@hono/node-server) the Host header and the
      // connection's TLS, never forwarded headers. Set `publicOrigin` behind a proxy.
      origin: url.origin,
    });
    if (outcome.ok) {
      c.set('auth', outcome.token);
      // An answer for an authenticated caller is that caller's: no shared cache may keep it
      // (a route that means to be cached says so by setting its own Cache-Control).
      c.header('cache-control', 'no-store');
      for (const [name, value] of Object.entries(outcome.headers ?? {})) c.header(name, value);
      await next();
      return;
    }
    return c.body(outcome.failure.body, outcome.failure.status, outcome.failure.headers);
  };
}
