import { createVerifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Config } from './config.ts';

export interface BuildOptions {
  /** Where log lines go instead of stdout (tests read them from here). */
  readonly logStream?: { write(line: string): void };
}

/** The path of a request URL without its query string, which may carry a token. */
function pathOnly(url: string): string {
  const queryStart = url.indexOf('?');
  return queryStart === -1 ? url : url.slice(0, queryStart);
}

/**
 * Builds the API. Nothing listens yet: `main.ts` calls `listen`, tests call `inject`.
 *
 * Tokens must never reach the logs, so the request serializer keeps only the method, the path
 * (no query string) and the peer address — never headers — and the default 404 handler, which
 * logs and echoes the full URL, is replaced.
 */
export function buildApp(config: Config, options: BuildOptions = {}): FastifyInstance {
  const app = Fastify({
    logger: {
      level: config.logLevel,
      serializers: {
        req: (request) => ({
          method: request.method,
          url: pathOnly(request.url),
          remoteAddress: request.ip,
        }),
      },
      ...(options.logStream === undefined ? {} : { stream: options.logStream }),
    },
  });

  const verifier = createVerifier({
    issuer: config.issuer,
    audience: config.audience,
    jwksUri: config.jwksUri,
    ...(config.revocations === undefined
      ? {}
      : {
          revocations: {
            ...config.revocations,
            onError: (error: unknown) =>
              app.log.warn({ err: error }, 'revocation mirror: sync problem'),
          },
        }),
    // Why a token was refused is for the operator only; the client always gets the same 401.
    // The event never holds the token, and only its reason is logged.
    onReject: ({ reason }) => {
      if (reason === 'internal_error') app.log.error({ reason }, 'token refused: verifier fault');
      else app.log.info({ reason }, 'token refused');
    },
    onKeySetError: (error) => {
      app.log.warn({ err: error }, 'could not download the key set; cached keys stay in use');
    },
  });

  if (config.revocations === undefined) {
    // Without the mirror a signed-out user's token is accepted until it expires (up to 15 min):
    // fine for a demo, a surprise in production. Said at start, once.
    app.log.warn(
      'no revocation mirror (set WRIT_REVOCATIONS_URI and WRIT_CONSUMER_KEY): tokens of signed-out sessions are accepted until they expire',
    );
  }

  app.setNotFoundHandler(async (_request, reply) => reply.code(404).send({ error: 'not_found' }));

  app.addHook('onClose', async () => verifier.close());

  // Health includes the revocation mirror: a stale mirror refuses every token, and the load
  // balancer should know.
  app.get('/health', async (_request, reply) => {
    const mirror = verifier.revocations?.state();
    if (mirror === undefined) return { status: 'ok' };
    return reply
      .code(mirror.stale ? 503 : 200)
      .send({ status: mirror.stale ? 'stale' : 'ok', revocations: mirror });
  });

  // Everything registered in this plugin needs a valid access token; /health above does not.
  app.register(async (api) => {
    await api.register(writFastify, { verifier });
    api.get(
      '/me',
      {
        schema: {
          response: {
            200: {
              type: 'object',
              properties: { sub: { type: 'string' }, scope: { type: 'string' } },
              required: ['sub', 'scope'],
            },
          },
        },
      },
      async (request) => ({
        sub: request.auth.claims.sub,
        scope: request.auth.claims.scope ?? '',
      }),
    );
  });

  return app;
}
