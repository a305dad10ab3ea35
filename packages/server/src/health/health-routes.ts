import type { FastifyInstance } from 'fastify';
import { revocationLogHead } from '../revocation/revocation-log-head.ts';
import type { RevocationLogStores } from '../revocation/revocation-log-store.ts';

/** Liveness (the process answers) and readiness (the database answers). */
export async function healthRoutes(
  app: FastifyInstance,
  context: { readonly db: RevocationLogStores },
): Promise<void> {
  app.get('/health', async () => ({ status: 'ok' }));
  app.get('/ready', async (_request, reply) => {
    try {
      await revocationLogHead(context.db);
      return { status: 'ready' };
    } catch {
      return reply.code(503).send({ status: 'unavailable' });
    }
  });
}
