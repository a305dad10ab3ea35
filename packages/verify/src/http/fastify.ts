import type {
  FastifyPluginAsync,
  FastifyReply,
  FastifyRequest,
  HookHandlerDoneFunction,
  onRequestHookHandler,
} from 'fastify';
import type { VerifiedToken, Verifier } from '../create-verifier.ts';
import {
  type AuthenticateOptions,
  type AuthenticationOutcome,
  createIncomingAuthenticator,
  resourceMetadataPath,
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
): onRequestHookHandler {
  const authenticate = createIncomingAuthenticator(verifier, options);
  // A callback hook, not an async one: a token verified before is authenticated synchronously,
  // with no promise for Fastify to wait on (and no closure made per request).
  return (request, reply, done) => {
    let outcome: AuthenticationOutcome | Promise<AuthenticationOutcome>;
    try {
      outcome = authenticate(request.raw, request.url);
    } catch (error) {
      done(error as Error);
      return;
    }
    if (outcome instanceof Promise) {
      outcome.then((settled) => answer(request, reply, done, settled), done);
    } else {
      answer(request, reply, done, outcome);
    }
  };
}

/** Lets the route run for an authenticated caller, or answers in its place. */
function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  done: HookHandlerDoneFunction,
  outcome: AuthenticationOutcome,
): void {
  if (outcome.ok) {
    request.auth = outcome.token;
    // An answer for an authenticated caller is that caller's: no shared cache may keep it
    // (a route that means to be cached says so by setting its own Cache-Control).
    reply.header('cache-control', 'no-store');
    if (outcome.headers !== undefined) reply.headers(outcome.headers);
    done();
    return;
  }
  // Sending without calling done() ends the request here: the route never runs.
  reply.code(outcome.failure.status).headers(outcome.failure.headers).send(outcome.failure.body);
}

const protect: FastifyPluginAsync<WritFastifyOptions> = async (fastify, options) => {
  const { verifier, ...authenticateOptions } = options;
  if (!fastify.hasRequestDecorator('auth')) {
    fastify.decorateRequest('auth', null as unknown as VerifiedToken);
  }
  fastify.addHook('onRequest', fastifyAuthenticate(verifier, authenticateOptions));
  const metadata = authenticateOptions.resourceMetadata;
  if (metadata !== undefined) {
    // Fastify runs hooks only for routes it knows: this route gives the hook the path, and the
    // hook answers it with the RFC 9728 document before the handler would run.
    fastify.get(resourceMetadataPath(metadata.resource), async (_request, reply) =>
      reply.code(404).send(),
    );
  }
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
