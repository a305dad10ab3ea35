import type { Verifier } from '@writ/verify';
import type { FastifyInstance } from 'fastify';
import type { ServiceContext } from '../../service-context.ts';
import {
  deleteSession,
  signOut,
  signOutEverywhere,
  signOutOthers,
} from '../../sessions/sign-out.ts';
import { callerOf, requireSignedInCaller } from '../caller.ts';
import { sendError } from '../errors.ts';
import { originOf } from '../origin.ts';
import { clearSessionCookies } from '../session-cookies.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** The signed-in user's own sessions and activity. */
export async function sessionRoutes(
  app: FastifyInstance,
  context: ServiceContext,
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
    const sessions = await context.storage.listLiveSessions(caller.userId, context.now());
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

  app.get('/auth/activity', async (request, reply) => {
    const activity = await context.storage.listActivity(callerOf(request).userId, 100);
    return reply.header('cache-control', 'no-store').send({
      activity: activity.map((event) => ({
        type: event.type,
        at: iso(event.at),
        session_id: event.sessionId,
        ip: event.ip,
        user_agent: event.userAgent,
      })),
    });
  });
}
