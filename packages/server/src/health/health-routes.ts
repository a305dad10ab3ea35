import type { FastifyInstance } from 'fastify';
import { revocationLogHead } from '../revocation/revocation-log-head.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';

/** Liveness (the process answers) and readiness (the database answers). */
export async function healthRoutes(
  app: FastifyInstance,
  context: { readonly db: RevocationLogStores },
): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (request, reply) => {
    try {
      await revocationLogHead(context.db);
      return { status: 'ready' };
    } catch (error) {
      // The caller (a load balancer) learns only "not ready"; the operator learns why.
      request.log.error({ err: error }, 'readiness check failed: the database did not answer');
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
