import type { RequestHandler } from 'express';
import { bearerRequestFrom } from '../http/authenticate.ts';
import type { PhantomTokenExchanger } from './create-phantom-token-exchanger.ts';
import {
  createRequestExchanger,
  type PhantomExchangeOptions,
  replaceAuthorization,
} from './exchange-request.ts';

/**
 * Express middleware for a proxy route: on success the request's `Authorization` is
 * `Bearer <at+jwt>` (what a proxy middleware mounted after it forwards); otherwise the answer
 * (400/401/403/503) is sent and nothing after it runs.
 *
 * ```ts
 * app.use('/api', expressPhantomExchange(exchanger), createProxyMiddleware({ target }));
 * ```
 */
export function expressPhantomExchange(
  exchanger: PhantomTokenExchanger,
  options?: PhantomExchangeOptions,
): RequestHandler {
  const exchangeRequest = createRequestExchanger(exchanger, options);
  return (request, response, next) => {
    exchangeRequest(bearerRequestFrom(request, request.originalUrl)).then((outcome) => {
      if (outcome.ok) {
        replaceAuthorization(request, outcome.authorization);
        next();
        return;
      }
      response
        .status(outcome.failure.status)
        .set(outcome.failure.headers)
        .send(outcome.failure.body);
    }, next);
  };
}
