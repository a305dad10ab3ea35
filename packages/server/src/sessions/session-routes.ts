import type { Verifier } from '@writ/verify';
import type { FastifyInstance } from 'fastify';
import { sendError } from '../platform/http/errors.ts';
import { originOf } from '../platform/http/origin.ts';
import { callerOf, requireSignedInCaller } from './caller.ts';
import { deleteSession } from './delete-session.ts';
import { listLiveSessions } from './list-live-sessions.ts';
import { clearSessionCookies } from './session-cookies.ts';
import type { SessionsContext } from './sessions-context.ts';
import { signOut } from './sign-out.ts';
import { signOutEverywhere } from './sign-out-everywhere.ts';
import { signOutOthers } from './sign-out-others.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The signed-in user's own sessions. */
export async function sessionRoutes(
  app: FastifyInstance,
  context: SessionsContext,
  verifier: Verifier,
): Promise<void> {
  await requireSignedInCaller(app, context, verifier);

  app.post('/auth/sign-out', async (request, reply) => {
    await signOut(context, callerOf(request), originOf(request));
    clearSessionCookies(reply, context.config);
    return reply.code(204).send();
  });

  app.post('/auth/sign-out-everywhere', async (request, reply) => {
    await signOutEverywhere(context, callerOf(request), originOf(request));
    clearSessionCookies(reply, context.config);
    return reply.code(204).send();
  });

  app.post('/auth/sessions/sign-out-others', async (request, reply) => {
    await signOutOthers(context, callerOf(request), originOf(request));
    return reply.code(204).send();
  });

  app.get('/auth/sessions', async (request, reply) => {
    const caller = callerOf(request);
    const sessions = await listLiveSessions(context, caller.userId);
    return reply.header('cache-control', 'no-store').send({
      sessions: sessions.map((session) => ({
        id: session.id,
        created_at: iso(session.createdAt),
        last_used_at: iso(session.lastUsedAt),
        ip: session.ip,
        user_agent: session.userAgent,
        current: session.id === caller.sessionId,
      })),
    });
  });

  app.delete<{ Params: { id: string } }>(
    '/auth/sessions/:id',
    {
      schema: { params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } } } },
    },
    async (request, reply) => {
      const deleted = await deleteSession(
        context,
        callerOf(request),
        request.params.id,
        originOf(request),
      );
      return deleted ? reply.code(204).send() : sendError(reply, 404, 'not_found');
    },
  );
}
