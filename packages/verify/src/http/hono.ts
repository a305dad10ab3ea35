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
    // Headers joins repeated fields with ", ", which no single bearer credential contains.
    const authorization = c.req.raw.headers.get('authorization');
    const outcome = await authenticate({
      url: `${url.pathname}${url.search}`,
      authorization: authorization === null ? [] : [authorization],
    });
    if (outcome.ok) {
      c.set('auth', outcome.token);
      await next();
      return;
    }
    return c.body(outcome.failure.body, outcome.failure.status, outcome.failure.headers);
  };
}
