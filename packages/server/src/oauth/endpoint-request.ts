import type { FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient } from '../clients/authenticate-client.ts';
import type { ClientRecord } from '../clients/client-record.ts';
import { formParamsOf } from './form-body.ts';
import type { OAuthContext } from './oauth-context.ts';
import { sendOAuthError } from './oauth-errors.ts';

/**
 * The first two steps every /oauth endpoint shares: the form, then the client. Each returns
 * `undefined` once it has answered the request itself with the RFC 6749 error.
 */
export function formOrAnswer(
  request: FastifyRequest,
  reply: FastifyReply,
): ReadonlyMap<string, string> | undefined {
  const form = formParamsOf(request);
  if (form.ok) return form.params;
  sendOAuthError(
    reply,
    400,
    'invalid_request',
    form.problem === 'not_a_form'
      ? 'The request body must be application/x-www-form-urlencoded.'
      : 'The request body is malformed or repeats a parameter.',
  );
  return undefined;
}

export async function clientOrAnswer(
  context: OAuthContext,
  request: FastifyRequest,
  reply: FastifyReply,
  params: ReadonlyMap<string, string>,
  nowMs: number,
): Promise<ClientRecord | undefined> {
  const authenticated = await authenticateClient(
    context,
    { headers: request.headers, params },
    nowMs,
  );
  if (authenticated.ok) return authenticated.client;
  if (authenticated.status === 401) {
    // RFC 6749 §5.2: a client that tried HTTP Basic is answered with the scheme it used.
    const challenge =
      authenticated.wwwAuthenticate === undefined
        ? {}
        : { 'www-authenticate': authenticated.wwwAuthenticate };
    sendOAuthError(reply, 401, 'invalid_client', 'Client authentication failed.', challenge);
  } else {
    sendOAuthError(reply, 400, authenticated.error, 'The client authentication is malformed.');
  }
  return undefined;
}
