import Fastify, { type FastifyInstance } from 'fastify';
import { activityRoutes } from '../activity/activity-routes.ts';
import { adminRoutes } from '../admin/admin-routes.ts';
import { wellKnownRoutes } from '../discovery/well-known-routes.ts';
import { healthRoutes } from '../health/health-routes.ts';
import { revocationRoutes } from '../revocation/revocation-routes.ts';
import { authRoutes } from '../sessions/auth-routes.ts';
import { requireSignedInCaller } from '../sessions/caller.ts';
import { sessionRoutes } from '../sessions/session-routes.ts';
import { createOwnVerifier } from './own-verifier.ts';
import type { ServiceContext } from './service-context.ts';

export interface AppOptions {
  /** pino options, or false for silence (tests). */
  readonly logger: boolean | { readonly level: string };
}

/**
 * The HTTP surface of the token service. Logs carry method, path (never the query string) and
 * status — never headers or bodies, which hold passwords and tokens.
 */
export async function buildApp(
  context: ServiceContext,
  options: AppOptions,
): Promise<FastifyInstance> {
  const app = Fastify({
    logger:
      options.logger === false
        ? false
        : {
            ...(options.logger === true ? {} : options.logger),
            serializers: {
              req: (request: { method: string; url: string; ip: string }) => ({
                method: request.method,
                path: request.url.split('?')[0],
                ip: request.ip,
              }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
          },
    trustProxy: context.config.trustProxy,
    bodyLimit: 16 * 1024,
    // Refuse, never repair: no silently dropped properties, no "1" turned into 1.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
  });
  const verifier = createOwnVerifier(context);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));
  // Clients learn what kind of mistake they made, never internals: a 5xx says only that.
  app.setErrorHandler((error: { statusCode?: number; validation?: unknown }, request, reply) => {
    const status = error.statusCode ?? 500;
    if (status >= 500) {
      request.log.error({ err: error }, 'request failed');
      return reply.code(500).send({ error: 'server_error' });
    }
    return reply.code(status).send({ error: 'invalid_request' });
  });
  await app.register(async (scope) => healthRoutes(scope, context));
  await app.register(async (scope) => wellKnownRoutes(scope, context));
  await app.register(async (scope) => authRoutes(scope, context));
  await app.register(async (scope) => sessionRoutes(scope, context, verifier));
  await app.register(async (scope) =>
    activityRoutes(scope, context, (guarded) => requireSignedInCaller(guarded, context, verifier)),
  );
  await app.register(async (scope) => revocationRoutes(scope, context));
  await app.register(async (scope) => adminRoutes(scope, context));
  return app;
}
