import Fastify, { type FastifyInstance, type FastifyReply } from 'fastify';
import { activityRoutes } from '../activity/activity-routes.ts';
import { adminRoutes } from '../admin/admin-routes.ts';
import { authorizeRoutes } from '../authorize/authorize-routes.ts';
import { clientAdminRoutes } from '../clients/client-admin-routes.ts';
import { registrationRoutes } from '../clients/registration-routes.ts';
import { wellKnownRoutes } from '../discovery/well-known-routes.ts';
import { healthRoutes } from '../health/health-routes.ts';
import { backchannelAdminRoutes } from '../logout/backchannel-admin-routes.ts';
import { logoutRoutes } from '../logout/logout-routes.ts';
import { introspectionRoutes } from '../oauth/introspection-routes.ts';
import { revokeRoutes } from '../oauth/revoke-routes.ts';
import { tokenRoutes } from '../oauth/token-routes.ts';
import { TemporarilyUnavailableError } from '../platform/errors.ts';
import { securityHeadersFor } from '../platform/http/security-headers.ts';
import { fastifyTrustProxy } from '../platform/http/trust-proxy.ts';
import { revocationRoutes } from '../revocation/revocation-routes.ts';
import { authRoutes } from '../sessions/auth-routes.ts';
import { requireSignedInCaller } from '../sessions/caller.ts';
import { sessionRoutes } from '../sessions/session-routes.ts';
import { userinfoRoutes } from '../userinfo/userinfo-routes.ts';
import { createOwnVerifier } from './own-verifier.ts';
import type { ServiceContext } from './service-context.ts';

export interface AppOptions {
  /** pino options, or false for silence (tests). */
  readonly logger:
    | boolean
    | { readonly level: string; readonly stream?: { write(line: string): void } };
}

/** How long an idle keep-alive connection stays open: above the 60 s idle timeout of common
 * load balancers, so the service never closes a connection a proxy is about to reuse. */
const keepAliveTimeoutMs = 72_000;
/** Request headers are small; a client slower than this is holding the connection on purpose. */
const headersTimeoutMs = 10_000;

/**
 * The HTTP surface of the token service. Logs carry method, path (never the query string) and
 * status — never headers or bodies, which hold passwords and tokens.
 */
export async function buildApp(
  context: ServiceContext,
  options: AppOptions,
): Promise<FastifyInstance> {
  const requestTimeoutMs = context.config.requestTimeoutSec * 1000;
  const securityHeaders = securityHeadersFor(context.config.issuer);
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
    trustProxy: fastifyTrustProxy(context.config.trustProxy),
    bodyLimit: 16 * 1024,
    // Every connection is bounded in time: a client trickling a body (or its headers) a byte at
    // a time is cut off at the request timeout. Node applies these while a request is being
    // received, not while an answer streams, so the revocation stream is not cut by them.
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    http: {
      headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
      // Node checks the two timeouts above on this interval (30 s by default).
      connectionsCheckingInterval: Math.min(1000, requestTimeoutMs / 2),
    },
    // Refuse, never repair: no silently dropped properties, no "1" turned into 1.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: false } },
    return503OnClosing: true,
    // A URL the router cannot decode (`/%`) gets the uniform 400, not Fastify's message, which
    // echoes the path back.
    frameworkErrors: (_error, _request, reply) => {
      (reply as FastifyReply).code(400).headers(securityHeaders).send({ error: 'invalid_request' });
    },
  });
  // Past this, new connections are closed on arrival instead of exhausting memory or files.
  app.server.maxConnections = context.config.maxConnections;
  let warnedOfUntrustedForwardedFor = false;
  // A callback hook, not an async one: it runs on every request, and an async hook costs a
  // promise and a microtask each time.
  app.addHook('onRequest', (request, reply, done) => {
    reply.headers(securityHeaders);
    if (
      context.config.trustProxy.kind === 'none' &&
      !warnedOfUntrustedForwardedFor &&
      request.headers['x-forwarded-for'] !== undefined
    ) {
      // Behind a proxy with trust off, every client shares the proxy's address: one client's
      // failed sign-ins throttle everyone. Said once, not per request.
      warnedOfUntrustedForwardedFor = true;
      request.log.warn(
        "X-Forwarded-For arrived but WRIT_TRUST_PROXY is off: client addresses are the proxy's (set WRIT_TRUST_PROXY to the hop count or proxy addresses)",
      );
    }
    done();
  });
  const verifier = createOwnVerifier(context);
  app.setNotFoundHandler((_request, reply) => reply.code(404).send({ error: 'not_found' }));
  // Clients learn what kind of mistake they made, never internals: a 5xx says only that.
  app.setErrorHandler((error: { statusCode?: number; validation?: unknown }, request, reply) => {
    if (error instanceof TemporarilyUnavailableError) {
      // The signer (or another dependency) is away for now: say so, rather than a 500 or a hang.
      request.log.warn({ code: error.code }, 'dependency temporarily unavailable');
      return reply
        .code(503)
        .headers({ 'cache-control': 'no-store', 'retry-after': '1' })
        .send({ error: 'temporarily_unavailable' });
    }
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
  await app.register(async (scope) => authorizeRoutes(scope, context));
  await app.register(async (scope) => clientAdminRoutes(scope, context));
  await app.register(async (scope) => registrationRoutes(scope, context));
  await app.register(async (scope) => tokenRoutes(scope, context));
  await app.register(async (scope) =>
    userinfoRoutes(scope, context, (audience, dpop) =>
      createOwnVerifier(context, { audience, dpop }),
    ),
  );
  await app.register(async (scope) => logoutRoutes(scope, context));
  await app.register(async (scope) => backchannelAdminRoutes(scope, context));
  await app.register(async (scope) => introspectionRoutes(scope, context));
  await app.register(async (scope) => revokeRoutes(scope, context));
  return app;
}
