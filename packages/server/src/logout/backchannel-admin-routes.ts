import type { FastifyInstance } from 'fastify';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { authenticateApiKey } from '../api-keys/authenticate-api-key.ts';
import type { Clock } from '../platform/clock.ts';
import type { UnitOfWork } from '../platform/database/unit-of-work.ts';
import type { BackchannelLogoutsStores } from './backchannel-logouts-store.ts';

const maxListed = 100;
const entryIdShape = /^bcl_[A-Za-z0-9_-]{22}$/;

/**
 * The operator's view of the Back-Channel Logout outbox, authenticated by admin keys:
 * `GET /admin/backchannel-logouts` lists the entries that gave up (newest first, at most 100),
 * `POST /admin/backchannel-logouts/:id/retry` makes one due again with a fresh attempt budget
 * (after the relying party was fixed). Dead entries are pruned 7 days after they gave up.
 */
export async function backchannelAdminRoutes(
  app: FastifyInstance,
  context: {
    readonly db: UnitOfWork<ApiKeysStores & BackchannelLogoutsStores>;
    readonly clock: Clock;
  },
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if ((await authenticateApiKey(context.db, 'admin', request, reply)) === undefined) return reply;
  });

  app.get('/admin/backchannel-logouts', async (_request, reply) => {
    const dead = await context.db.backchannelLogouts.listDead(maxListed);
    return reply.code(200).send({
      dead: dead.map((entry) => ({
        id: entry.id,
        client_id: entry.clientId,
        sub: entry.userId,
        sid: entry.browserSessionId,
        created_at: entry.createdAt,
        attempts: entry.attempts,
        last_error: entry.lastError,
        dead_at: entry.deadAt,
      })),
    });
  });

  app.post<{ Params: { id: string } }>(
    '/admin/backchannel-logouts/:id/retry',
    async (request, reply) => {
      const { id } = request.params;
      const revived =
        entryIdShape.test(id) &&
        (await context.db.transaction((tx) =>
          tx.backchannelLogouts.revive(id, context.clock.nowMs()),
        ));
      if (!revived) return reply.code(404).send({ error: 'not_found' });
      return reply.code(202).send({ id, status: 'queued' });
    },
  );
}
