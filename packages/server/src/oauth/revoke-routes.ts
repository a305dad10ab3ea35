import type { FastifyInstance } from 'fastify';
import { originOf } from '../platform/http/origin.ts';
import { allowCrossOriginCalls } from './cross-origin.ts';
import { clientOrAnswer, formOrAnswer } from './endpoint-request.ts';
import { acceptFormBodies } from './form-body.ts';
import type { OAuthContext } from './oauth-context.ts';
import { noStoreHeaders, sendOAuthError } from './oauth-errors.ts';
import { createOwnAccessTokenReader } from './own-access-token.ts';
import { revokeToken } from './revoke-token.ts';

export const revocationEndpointPath = '/oauth/revoke';

const text = {
  noToken: 'token is missing.',
} as const;

/**
 * `POST /oauth/revoke` (RFC 7009): the client authenticates (a public client by its id, as
 * RFC 7009 §5 allows: revoking can only take a token away), names a token, and gets 200 with an
 * empty body whether or not there was anything of its own to revoke.
 */
export async function revokeRoutes(app: FastifyInstance, context: OAuthContext): Promise<void> {
  acceptFormBodies(app);
  allowCrossOriginCalls(app, revocationEndpointPath, {
    requestHeaders: ['authorization', 'content-type'],
    exposedHeaders: ['WWW-Authenticate'],
  });
  const readAccessToken = createOwnAccessTokenReader(context);

  app.post(revocationEndpointPath, async (request, reply) => {
    const params = formOrAnswer(request, reply);
    if (params === undefined) return reply;
    const client = await clientOrAnswer(context, request, reply, params, context.clock.nowMs());
    if (client === undefined) return reply;
    const token = params.get('token');
    if (token === undefined) return sendOAuthError(reply, 400, 'invalid_request', text.noToken);
    await revokeToken(
      context,
      readAccessToken,
      client,
      token,
      params.get('token_type_hint'),
      originOf(request),
    );
    return reply.code(200).headers(noStoreHeaders).send();
  });
}
