import type { Verifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../platform/clock.ts';
import { isLive } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

/** The signed-in caller, as established by the HTTP layer from a verified access token. */
export interface Caller {
  readonly userId: string;
  readonly sessionId: string;
}

/**
 * Guards the routes of `app` for a signed-in user: a valid access token (header, or the cookie
 * plus `X-CSRF-Token` on state-changing requests) whose session is still live in the database.
 * The service is the source of truth for its own sessions, so it needs no revocation mirror.
 */
export async function requireSignedInCaller(
  app: FastifyInstance,
  context: { readonly db: SessionsStores; readonly clock: Clock },
  verifier: Verifier,
): Promise<void> {
  await app.register(writFastify, { verifier, cookie: {} });
  app.addHook('preHandler', async (request, reply) => {
    const sid = request.auth.claims.sid;
    const session = sid === undefined ? undefined : await context.db.sessions.find(sid);
    if (
      session === undefined ||
      session.userId !== request.auth.claims.sub ||
      !isLive(session, context.clock.nowMs())
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
