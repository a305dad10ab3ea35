import type { FastifyPluginAsync, onRequestHookHandler } from 'fastify';
import { bearerRequestFrom } from '../http/authenticate.ts';
import type { PhantomTokenExchanger } from './create-phantom-token-exchanger.ts';
import {
  createRequestExchanger,
  type PhantomExchangeOptions,
  replaceAuthorization,
} from './exchange-request.ts';

export interface WritPhantomFastifyOptions extends PhantomExchangeOptions {
  readonly exchanger: PhantomTokenExchanger;
}

/**
 * A hook that exchanges the request's opaque token: on success `request.headers.authorization`
 * (and the raw header list) is `Bearer <at+jwt>`, which a proxy route (`@fastify/http-proxy`,
 * `reply.from`) forwards; otherwise the answer is sent and the route never runs. Use it as
 * `onRequest` (before the body is read: a refused request costs no body parsing) or `preHandler`.
 */
export function fastifyPhantomExchange(
  exchanger: PhantomTokenExchanger,
  options?: PhantomExchangeOptions,
): onRequestHookHandler {
  const exchangeRequest = createRequestExchanger(exchanger, options);
  return (request, reply, done) => {
    exchangeRequest(bearerRequestFrom(request.raw, request.url)).then((outcome) => {
      if (outcome.ok) {
        replaceAuthorization(request.raw, outcome.authorization);
        done();
        return;
      }
      // Sending without calling done() ends the request here.
      reply
        .code(outcome.failure.status)
        .headers(outcome.failure.headers)
        .send(outcome.failure.body);
    }, done);
  };
}

const exchangeAll: FastifyPluginAsync<WritPhantomFastifyOptions> = async (fastify, options) => {
  const { exchanger, ...exchangeOptions } = options;
  fastify.addHook('onRequest', fastifyPhantomExchange(exchanger, exchangeOptions));
};

/**
 * Exchanges the opaque token of every request of the context it is registered in (and its
 * children), before their proxy routes run. Like `writFastify`, it opts out of encapsulation so
 * the hook reaches the routes beside it.
 */
export const writPhantomFastify: FastifyPluginAsync<WritPhantomFastifyOptions> = Object.assign(
  exchangeAll,
  {
    [Symbol.for('skip-override')]: true,
    [Symbol.for('fastify.display-name')]: '@writ/verify/phantom',
  },
);
