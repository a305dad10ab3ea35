import type { FastifyPluginAsync, onRequestAsyncHookHandler } from 'fastify';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import { type AuthenticateOptions, createAuthenticator } from './authenticate.ts';

export type { AuthenticateOptions } from './authenticate.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** The verified access token, set by `@writ/verify` before the handler runs. */
    auth: VerifiedToken;
  }
}

export interface WritFastifyOptions extends AuthenticateOptions {
  readonly verifier: Verifier;
}

/**
 * An `onRequest` hook that authenticates the request, for use on single routes:
 * `{ onRequest: fastifyAuthenticate(verifier, { requiredScopes: ['write'] }) }`.
 */
export function fastifyAuthenticate(
  verifier: Verifier,
  options?: AuthenticateOptions,
): onRequestAsyncHookHandler {
  const authenticate = createAuthenticator(verifier, options);
  return async (request, reply) => {
    const outcome = await authenticate({
      url: request.url,
      authorization: request.raw.headersDistinct.authorization ?? [],
    });
    if (outcome.ok) {
      request.auth = outcome.token;
      return;
    }
    await reply
      .code(outcome.failure.status)
      .headers(outcome.failure.headers)
      .send(outcome.failure.body);
  };
}

/**
 * Protects every route registered in the same encapsulation context:
 * `app.register(writFastify, { verifier })`, then declare routes inside that plugin.
 */
export const writFastify: FastifyPluginAsync<WritFastifyOptions> = async (fastify, options) => {
  const { verifier, ...authenticateOptions } = options;
  fastify.decorateRequest('auth', null as unknown as VerifiedToken);
  fastify.addHook('onRequest', fastifyAuthenticate(verifier, authenticateOptions));
};
