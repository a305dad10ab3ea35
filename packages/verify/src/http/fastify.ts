import type { FastifyPluginAsync, onRequestAsyncHookHandler } from 'fastify';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import {
  type AuthenticateOptions,
  bearerRequestFrom,
  createAuthenticator,
} from './authenticate.ts';

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
    const outcome = await authenticate(bearerRequestFrom(request.raw, request.url));
    if (outcome.ok) {
      request.auth = outcome.token;
      return;
    }
    // Returning the reply tells Fastify the answer is sent and the route must not run.
    return reply
      .code(outcome.failure.status)
      .headers(outcome.failure.headers)
      .send(outcome.failure.body);
  };
}

const protect: FastifyPluginAsync<WritFastifyOptions> = async (fastify, options) => {
  const { verifier, ...authenticateOptions } = options;
  if (!fastify.hasRequestDecorator('auth')) {
    fastify.decorateRequest('auth', null as unknown as VerifiedToken);
  }
  fastify.addHook('onRequest', fastifyAuthenticate(verifier, authenticateOptions));
};

/**
 * Protects every route of the context it is registered in, and of that context's children:
 *
 * ```ts
 * app.register(async (api) => {
 *   await api.register(writFastify, { verifier });
 *   api.get('/me', async (request) => request.auth.claims);
 * });
 * ```
 *
 * The hook must reach the routes beside it, so the plugin opts out of Fastify's encapsulation
 * (what `fastify-plugin` does); without that the hook would guard an empty child context and
 * leave the routes open.
 */
export const writFastify: FastifyPluginAsync<WritFastifyOptions> = Object.assign(protect, {
  [Symbol.for('skip-override')]: true,
  [Symbol.for('fastify.display-name')]: '@writ/verify',
});
