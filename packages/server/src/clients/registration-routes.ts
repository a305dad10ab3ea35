import type { FastifyInstance } from 'fastify';
import type { ServiceConfig } from '../platform/config/config.ts';
import { clientResponse } from './client-response.ts';
import type { ClientsContext } from './clients-context.ts';
import { findUsableRegistrationToken } from './find-usable-registration-token.ts';
import { registerClient } from './register-client.ts';
import { registrationProblems } from './registration-problems.ts';

const noStore = { 'cache-control': 'no-store', pragma: 'no-cache' } as const;

/**
 * RFC 7591 dynamic client registration at `POST /oauth/register`. Not registered at all unless
 * the operator turns it on (so it answers 404 like any unknown path), and even then every request
 * needs a single-use initial access token an admin issued (`POST /admin/registration-tokens`):
 * open registration would let anyone mint clients. Clients registered here go through the same
 * validation as the admin API's, within the scopes, audiences and grants the token allows.
 */
export async function registrationRoutes(
  app: FastifyInstance,
  context: ClientsContext & { readonly config: Pick<ServiceConfig, 'dynamicClientRegistration'> },
): Promise<void> {
  if (!context.config.dynamicClientRegistration) return;

  app.post('/oauth/register', { schema: { body: { type: 'object' } } }, async (request, reply) => {
    const token = await findUsableRegistrationToken(context, request.headers.authorization);
    if (token === undefined) {
      return reply
        .code(401)
        .headers({ ...noStore, 'www-authenticate': 'Bearer error="invalid_token"' })
        .send({
          error: 'invalid_token',
          error_description: 'a valid initial access token is required',
        });
    }
    const result = await registerClient(context, request.body, { via: 'dynamic', token });
    if (!result.ok) {
      if (result.problem === 'registration_token_used') {
        return reply
          .code(401)
          .headers({ ...noStore, 'www-authenticate': 'Bearer error="invalid_token"' })
          .send({
            error: 'invalid_token',
            error_description: 'a valid initial access token is required',
          });
      }
      const redirect =
        result.problem === 'invalid_redirect_uri' ||
        result.problem === 'invalid_post_logout_redirect_uri';
      return reply
        .code(400)
        .headers(noStore)
        .send({
          error: redirect ? 'invalid_redirect_uri' : 'invalid_client_metadata',
          error_description: registrationProblems[result.problem],
        });
    }
    return reply
      .code(201)
      .headers(noStore)
      .send(clientResponse(result.client, result.clientSecret));
  });
}
