import type { Verifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ServiceContext } from '../service-context.ts';
import { type Caller, isLive } from '../sessions/sign-out.ts';

/**
 * Guards the routes of `app` for a signed-in user: a valid access token (header, or the cookie
 * plus `X-CSRF-Token` on state-changing requests) whose session is still live in the database.
 * The service is the source of truth for its own sessions, so it needs no revocation mirror.
 */
export async function requireSignedInCaller(
  app: FastifyInstance,
  context: ServiceContext,
  verifier: Verifier,
): Promise<void> {
  await app.register(writFastify, { verifier, cookie: {} });
  app.addHook('preHandler', async (request, reply) => {
    const sid = request.auth.claims.sid;
    const session = sid === undefined ? undefined : await context.storage.findSession(sid);
    if (
      session === undefined ||
      session.userId !== request.auth.claims.sub ||
      !isLive(session, context.now())
    ) {
      return reply
        .code(401)
        .headers({
          'cache-control': 'no-store',
          'www-authenticate': 'Bearer error="invalid_token"',
        })
        .send({ error: 'invalid_token' });
    }
  });
}

export function callerOf(request: FastifyRequest): Caller {
  return { userId: request.auth.claims.sub, sessionId: request.auth.claims.sid ?? '' };
}
