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
  scope.addHook('onRequest', async (request, reply) => {
    if (request.headers.origin === undefined) return;
    reply.header('access-control-allow-origin', '*');
    if (options.exposedHeaders.length > 0) {
      reply.header('access-control-expose-headers', options.exposedHeaders.join(', '));
    }
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
