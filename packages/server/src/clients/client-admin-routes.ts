import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiKeysStores } from '../api-keys/api-keys-store.ts';
import { authenticateApiKey } from '../api-keys/authenticate-api-key.ts';
import type { GrantType } from './client-record.ts';
import { clientResponse } from './client-response.ts';
import type { ClientsContext } from './clients-context.ts';
import {
  createRegistrationToken,
  defaultRegistrationTokenTtlSec,
  registrationTokenProblem,
} from './create-registration-token.ts';
import { describeClient } from './describe-client.ts';
import { type DisableClientContext, disableClient } from './disable-client.ts';
import { listClients } from './list-clients.ts';
import { registerClient } from './register-client.ts';
import { registrationProblems } from './registration-problems.ts';
import { replaceClientJwks } from './replace-client-jwks.ts';
import { maxSecretGracePeriodSec, rotateClientSecret } from './rotate-client-secret.ts';

/** Fixed descriptions of the admin API's own refusals (registration ones: registration-problems.ts). */
const adminProblems = {
  client_not_found: 'no client with this id (or it is disabled, for a secret rotation)',
  client_has_no_jwks:
    'this client does not authenticate with private_key_jwt: it has no keys to replace',
  client_has_no_secret:
    'this client authenticates with private_key_jwt or none: it has no secret to rotate',
  invalid_rotation_request: `grace_period_sec must be a whole number from 0 to ${maxSecretGracePeriodSec}`,
  invalid_registration_token_request: registrationTokenProblem,
  registration_token_used: 'the initial access token was used or expired meanwhile',
} as const;

type AdminProblem = keyof typeof adminProblems | keyof typeof registrationProblems;

function refuse(reply: FastifyReply, status: number, problem: AdminProblem) {
  const description =
    problem in adminProblems
      ? adminProblems[problem as keyof typeof adminProblems]
      : registrationProblems[problem as keyof typeof registrationProblems];
  return reply
    .code(status)
    .header('cache-control', 'no-store')
    .send({ error: problem, error_description: description });
}

const clientIdParams = {
  type: 'object',
  required: ['id'],
  properties: { id: { type: 'string', minLength: 1, maxLength: 128 } },
} as const;

/**
 * The admin API for OAuth clients, authenticated by admin keys (`writ admin-key add <name>`):
 * register, list, show, disable, rotate a secret, replace a private_key_jwt client's keys, issue initial access tokens for RFC 7591.
 * Secrets appear only in the answer that created them.
 */
export async function clientAdminRoutes(
  app: FastifyInstance,
  context: ClientsContext & { readonly db: ApiKeysStores } & DisableClientContext,
): Promise<void> {
  app.addHook('onRequest', async (request, reply) => {
    if ((await authenticateApiKey(context.db, 'admin', request, reply)) === undefined) return reply;
  });

  // Validation happens in registerClient, so each refusal has its own code and description.
  app.post('/admin/clients', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    const result = await registerClient(context, request.body, { via: 'admin' });
    if (!result.ok) return refuse(reply, 400, result.problem);
    return reply
      .code(201)
      .header('cache-control', 'no-store')
      .send(clientResponse(result.client, result.clientSecret));
  });

  app.get('/admin/clients', async (_request, reply) => {
    const clients = await listClients(context);
    return reply
      .header('cache-control', 'no-store')
      .send({ clients: clients.map((client) => clientResponse(client)) });
  });

  app.get<{ Params: { id: string } }>(
    '/admin/clients/:id',
    { schema: { params: clientIdParams } },
    async (request, reply) => {
      const described = await describeClient(context, request.params.id);
      if (described === undefined) return refuse(reply, 404, 'client_not_found');
      const { client, jwks } = described;
      return reply
        .header('cache-control', 'no-store')
        .send({ ...clientResponse(client), ...(jwks === null ? {} : { jwks }) });
    },
  );

  app.put<{ Params: { id: string }; Body: { jwks: unknown } }>(
    '/admin/clients/:id/jwks',
    {
      schema: {
        params: clientIdParams,
        body: {
          type: 'object',
          required: ['jwks'],
          additionalProperties: false,
          properties: { jwks: { type: 'object' } },
        },
      },
    },
    async (request, reply) => {
      const result = await replaceClientJwks(context, request.params.id, request.body.jwks);
      if (!result.ok) {
        const status = { client_not_found: 404, client_has_no_jwks: 409, invalid_jwks: 400 }[
          result.problem
        ];
        return refuse(reply, status, result.problem);
      }
      return reply.code(204).header('cache-control', 'no-store').send();
    },
  );

  app.delete<{ Params: { id: string } }>(
    '/admin/clients/:id',
    { schema: { params: clientIdParams } },
    async (request, reply) => {
      const described = await describeClient(context, request.params.id);
      if (described === undefined) return refuse(reply, 404, 'client_not_found');
      // Disabling twice is not an error: the client ends up disabled either way.
      await disableClient(context, described.client.clientId);
      return reply.code(204).header('cache-control', 'no-store').send();
    },
  );

  app.post<{ Params: { id: string }; Body: { grace_period_sec?: number } | undefined }>(
    '/admin/clients/:id/secret',
    {
      schema: {
        params: clientIdParams,
        body: {
          type: ['object', 'null'],
          additionalProperties: false,
          properties: { grace_period_sec: { type: 'integer' } },
        },
      },
    },
    async (request, reply) => {
      const gracePeriodSec = request.body?.grace_period_sec ?? 0;
      if (gracePeriodSec < 0 || gracePeriodSec > maxSecretGracePeriodSec)
        return refuse(reply, 400, 'invalid_rotation_request');
      const result = await rotateClientSecret(context, request.params.id, gracePeriodSec);
      if (!result.ok)
        return refuse(reply, result.problem === 'client_not_found' ? 404 : 409, result.problem);
      return reply.header('cache-control', 'no-store').send({
        client_id: request.params.id,
        client_secret: result.clientSecret,
        client_secret_expires_at: 0,
      });
    },
  );

  app.post<{
    Body: {
      name: string;
      scope?: string;
      audiences?: string[];
      grant_types?: GrantType[];
      expires_in?: number;
    };
  }>(
    '/admin/registration-tokens',
    {
      schema: {
        body: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', maxLength: 64 },
            scope: { type: 'string', maxLength: 8000 },
            audiences: { type: 'array', maxItems: 20, items: { type: 'string', maxLength: 500 } },
            grant_types: { type: 'array', maxItems: 3, items: { type: 'string', maxLength: 40 } },
            expires_in: { type: 'integer' },
          },
        },
      },
    },
    async (request, reply) => {
      const { body } = request;
      const result = await createRegistrationToken(context, {
        name: body.name,
        scopes: body.scope === undefined || body.scope === '' ? [] : body.scope.split(' '),
        audiences: body.audiences ?? [context.config.audience],
        grantTypes: body.grant_types ?? ['authorization_code', 'refresh_token'],
        ttlSec: body.expires_in ?? defaultRegistrationTokenTtlSec,
      });
      if (!result.ok) return refuse(reply, 400, result.problem);
      return reply
        .code(201)
        .header('cache-control', 'no-store')
        .send({
          registration_token: result.token,
          expires_at: Math.floor(result.expiresAt / 1000),
        });
    },
  );
}
