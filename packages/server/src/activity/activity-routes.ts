import type { Verifier } from '@writ/verify';
import type { FastifyInstance } from 'fastify';
import type { Clock } from '../platform/clock.ts';
import { callerOf, requireSignedInCaller } from '../sessions/caller.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';
import type { ActivityStores } from './activity-store.ts';
import { listActivity } from './list-activity.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** `GET /auth/activity`: the signed-in user's own activity log. */
export async function activityRoutes(
  app: FastifyInstance,
  context: { readonly db: ActivityStores & SessionsStores; readonly clock: Clock },
  verifier: Verifier,
): Promise<void> {
  await requireSignedInCaller(app, context, verifier);

  app.get('/auth/activity', async (request, reply) => {
    const activity = await listActivity(context.db, callerOf(request).userId, 100);
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
