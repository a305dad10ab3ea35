import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerRequestFrom } from '../http/authenticate.ts';
import type { PhantomTokenExchanger } from './create-phantom-token-exchanger.ts';
import {
  createRequestExchanger,
  type PhantomExchangeOptions,
  replaceAuthorization,
} from './exchange-request.ts';

/**
 * For a node:http proxy: returns a function that exchanges the request's opaque token. On success
 * the request's `Authorization` (parsed and raw) is `Bearer <at+jwt>` and the function resolves
 * with the at+jwt: forward the request. Otherwise the 400/401/403/503 answer has been sent and it
 * resolves with `undefined`.
 *
 * ```ts
 * const exchange = createNodePhantomExchange(exchanger);
 * http.createServer(async (req, res) => {
 *   if ((await exchange(req, res)) !== undefined) forward(req, res);
 * });
 * ```
 */
export function createNodePhantomExchange(
  exchanger: PhantomTokenExchanger,
  options?: PhantomExchangeOptions,
): (request: IncomingMessage, response: ServerResponse) => Promise<string | undefined> {
  const exchangeRequest = createRequestExchanger(exchanger, options);
  return async (request, response) => {
    const outcome = await exchangeRequest(bearerRequestFrom(request, request.url ?? '/'));
    if (outcome.ok) {
      replaceAuthorization(request, outcome.authorization);
      return outcome.accessToken;
    }
    // A refused request's body is never read: close the connection rather than let node:http
    // drain an unauthenticated upload of any size to keep it alive.
    const unreadBody =
      request.headers['transfer-encoding'] !== undefined ||
      Number(request.headers['content-length'] ?? 0) > 0;
    response.writeHead(
      outcome.failure.status,
      unreadBody ? { ...outcome.failure.headers, connection: 'close' } : outcome.failure.headers,
    );
    response.end(outcome.failure.body);
    return undefined;
  };
}
