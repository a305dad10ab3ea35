import type { FastifyInstance, FastifyRequest } from 'fastify';
import { clientOrAnswer, formOrAnswer } from './endpoint-request.ts';
import { acceptFormBodies } from './form-body.ts';
import { introspectToken } from './introspect-token.ts';
import { signIntrospectionResponse } from './introspection-response.ts';
import type { OAuthContext } from './oauth-context.ts';
import { noStoreHeaders, sendOAuthError } from './oauth-errors.ts';
import { createOwnAccessTokenReader } from './own-access-token.ts';
import { createRevocationView } from './revocation-view.ts';

export const introspectionEndpointPath = '/oauth/introspect';
const jwtResponseType = 'application/token-introspection+jwt';

const text = {
  noToken: 'token is missing.',
} as const;

/** Whether the caller asked for the signed answer (RFC 9701 §4): the media type, q above 0. */
function wantsJwt(request: FastifyRequest): boolean {
  const accept = request.headers.accept;
  if (typeof accept !== 'string') return false;
  return accept.split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    if (type !== jwtResponseType) return false;
    const q = parameters.find((parameter) => parameter.startsWith('q='));
    return q === undefined || Number(q.slice(2)) > 0;
  });
}

/**
 * `POST /oauth/introspect` (RFC 7662), answered as JSON or, for `Accept:
 * application/token-introspection+jwt`, as a JWT signed by the service's key (RFC 9701)
 * addressed to the caller. The caller authenticates as a client; what it may see is decided in
 * introspect-token.ts.
 */
export async function introspectionRoutes(
  app: FastifyInstance,
  context: OAuthContext,
): Promise<void> {
  acceptFormBodies(app);
  const tools = {
    readAccessToken: createOwnAccessTokenReader(context),
    revocations: createRevocationView(context),
  };

  app.post(introspectionEndpointPath, async (request, reply) => {
    const params = formOrAnswer(request, reply);
    if (params === undefined) return reply;
    const nowMs = context.clock.nowMs();
    const client = await clientOrAnswer(context, request, reply, params, nowMs);
    if (client === undefined) return reply;
    const token = params.get('token');
    if (token === undefined) return sendOAuthError(reply, 400, 'invalid_request', text.noToken);

    const answer = await introspectToken(
      context,
      tools,
      client,
      token,
      params.get('token_type_hint'),
    );
    reply.headers(noStoreHeaders);
    if (wantsJwt(request)) {
      const signed = await signIntrospectionResponse(context, client, answer);
      return reply.type(jwtResponseType).send(signed);
    }
    return reply.send(answer.active ? answer.members : { active: false });
  });
}
