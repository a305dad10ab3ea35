import type { FastifyInstance } from 'fastify';

/**
 * Lets browser-based clients (single-page apps, public clients with PKCE and DPoP) call an
 * endpoint from their own origin: any origin, no credentials. Safe here because these endpoints
 * read no cookies or other ambient authority: every request carries its own proof (client
 * credentials, a code and its verifier, a refresh token, a DPoP proof), which a page of another
 * origin does not have. Never used for `/auth/*`, whose cookie refresh relies on a preflight the
 * service never grants.
 */
export function allowCrossOriginCalls(
  scope: FastifyInstance,
  path: string,
  options: {
    readonly requestHeaders: readonly string[];
    readonly exposedHeaders: readonly string[];
  },
): void {
  const exposed = options.exposedHeaders.join(', ');
  // A callback hook: every request to these endpoints runs it (an async one costs a promise).
  scope.addHook('onRequest', (request, reply, done) => {
    if (request.headers.origin !== undefined) {
      reply.header('access-control-allow-origin', '*');
      if (exposed !== '') reply.header('access-control-expose-headers', exposed);
    }
    done();
  });
  scope.options(path, async (_request, reply) =>
    reply
      .code(204)
      .headers({
        'access-control-allow-methods': 'POST',
        'access-control-allow-headers': options.requestHeaders.join(', '),
        'access-control-max-age': '600',
      })
      .send(),
  );
}
