import type { FastifyInstance } from 'fastify';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { authenticateApiKey } from '../api-keys/authenticate-api-key.ts';
import { keysAdminRoutes } from '../keys/keys-admin-routes.ts';
import type { KeysContext } from '../keys/keys-context.ts';
import type { Clock } from '../platform/clock.ts';
import { type CreateUserProblem, createUser } from '../users/create-user.ts';
import type { UsersStores } from '../users/users-store.ts';

/**
 * Each refusal: its status, its stable code (the `error` member, what callers branch on) and a
 * fixed description that says what to fix and never echoes the input.
 */
const problemAnswers = {
  invalid_email: {
    status: 400,
    description:
      'the email must be one address (something@something, at most 254 characters) with no spaces, control or invisible characters',
  },
  weak_password: {
    status: 400,
    description:
      'the password must be 12 to 1024 characters and not only whitespace or invisible characters',
  },
  email_taken: { status: 409, description: 'a user with this email already exists' },
} as const satisfies Record<CreateUserProblem, { status: number; description: string }>;

/**
 * The admin API, authenticated by admin keys (`writ admin-key add <name>`). Only what today's
 * flows need; the full admin surface grows with the service.
 */
export async function adminRoutes(
  app: FastifyInstance,
  context: { readonly db: ApiKeysStores & UsersStores; readonly clock: Clock } & KeysContext,
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    // Returning the (already answered) reply stops the route from running.
    if ((await authenticateApiKey(context.db, 'admin', request, reply)) === undefined) return reply;
  });
  // Signing keys (keys/keys-admin-routes.ts), behind the admin-key check above.
  await keysAdminRoutes(app, context);

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
      if (!result.ok) {
        const { status, description } = problemAnswers[result.problem];
        return reply
          .code(status)
          .header('cache-control', 'no-store')
          .send({ error: result.problem, error_description: description });
      }
      return reply.code(201).send({ id: result.userId });
    },
  );
}
