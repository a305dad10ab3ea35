import type { FastifyInstance } from 'fastify';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { authenticateApiKey } from '../api-keys/authenticate-api-key.ts';
import type { Clock } from '../platform/clock.ts';
import { createUser } from '../users/create-user.ts';
import type { UsersStores } from '../users/users-store.ts';

const problemStatus = { invalid_email: 400, weak_password: 400, email_taken: 409 } as const;

/**
 * The admin API, authenticated by admin keys (`writ admin-key add <name>`). Only what today's
 * flows need; the full admin surface grows with the service.
 */
export async function adminRoutes(
  app: FastifyInstance,
  context: { readonly db: ApiKeysStores & UsersStores; readonly clock: Clock },
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    // Returning the (already answered) reply stops the route from running.
    if ((await authenticateApiKey(context.db, 'admin', request, reply)) === undefined) return reply;
  });

  app.post<{ Body: { email: string; password: string } }>(
    '/admin/users',
    {
      schema: {
        body: {
          type: 'object',
          required: ['email', 'password'],
          additionalProperties: false,
          properties: {
            email: { type: 'string', maxLength: 254 },
            password: { type: 'string', maxLength: 1024 },
          },
        },
      },
    },
    async (request, reply) => {
      const result = await createUser(context, request.body);
      if (!result.ok)
        return reply.code(problemStatus[result.problem]).send({ error: result.problem });
      return reply.code(201).send({ id: result.userId });
    },
  );
}
