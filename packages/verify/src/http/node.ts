import type { IncomingMessage, ServerResponse } from 'node:http';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import { type AuthenticateOptions, createIncomingAuthenticator } from './authenticate.ts';

export type { AuthenticateOptions } from './authenticate.ts';

/**
 * For plain `node:http`: returns a function that authenticates a request. On success it
 * resolves with the verified token; otherwise it has already sent the 400/401/403 answer and
 * resolves with `undefined`.
 *
 * ```ts
 * const authenticate = createNodeAuthenticator(verifier);
 * http.createServer(async (req, res) => {
 *   const auth = await authenticate(req, res);
 *   if (auth) res.end(auth.claims.sub);
 * });
 * ```
 */
export function createNodeAuthenticator(
  verifier: Verifier,
  options?: AuthenticateOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<VerifiedToken | undefined> {
  const authenticate = createIncomingAuthenticator(verifier, options);
  return async (request, response) => {
    const outcome = await authenticate(request, request.url ?? '/');
    if (outcome.ok) {
      // An answer for an authenticated caller is that caller's: no shared cache may keep it
      // (a route that means to be cached says so by setting its own Cache-Control).
      response.setHeader('cache-control', 'no-store');
      for (const [name, value] of Object.entries(outcome.headers ?? {})) {
        response.setHeader(name, value);
      }
      return outcome.token;
    }
    response.writeHead(outcome.failure.status, outcome.failure.headers);
    response.end(outcome.failure.body);
    return undefined;
  };
}
