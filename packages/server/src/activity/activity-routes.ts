import type { FastifyInstance } from 'fastify';
import type { ActivityRecorder } from './activity-recorder.ts';
import type { ActivityStores } from './activity-store.ts';
import { listActivity } from './list-activity.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * `GET /auth/activity`: the signed-in user's own activity log. `requireSignedInCaller` is the
 * sessions module's guard, handed in by the composition root: it establishes `request.auth`
 * (a verified token whose session is live) before the route runs.
 */
export async function activityRoutes(
  app: FastifyInstance,
  context: { readonly db: ActivityStores; readonly activity: ActivityRecorder },
  requireSignedInCaller: (app: FastifyInstance) => Promise<void>,
): Promise<void> {
  await requireSignedInCaller(app);

  app.get('/auth/activity', async (request, reply) => {
    // Entries still queued in the recorder are written first: a user reading their log sees the
    // refresh they just made.
    await context.activity.flush();
    const activity = await listActivity(context.db, request.auth.claims.sub, 100);
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
