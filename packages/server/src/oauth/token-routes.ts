import type { FastifyInstance } from 'fastify';
import { ClientNotLiveError } from '../clients/is-client-live.ts';
import { originOf } from '../platform/http/origin.ts';
import { allowCrossOriginCalls } from './cross-origin.ts';
import { createTokenEndpointDpop } from './dpop-at-token-endpoint.ts';
import { clientOrAnswer, formOrAnswer } from './endpoint-request.ts';
import { acceptFormBodies } from './form-body.ts';
import type { OAuthContext } from './oauth-context.ts';
import { noStoreHeaders, sendOAuthError } from './oauth-errors.ts';
import { tokenGrants } from './token-grants.ts';

export const tokenEndpointPath = '/oauth/token';

const text = {
  noGrantType: 'grant_type is missing.',
  unsupportedGrant: 'The grant type is not supported.',
  unauthorizedGrant: 'The client is not allowed to use this grant type.',
  badProof: 'The DPoP proof is invalid.',
  useNonce: 'Use the DPoP nonce the server provided.',
  proofRequired: 'This client must send a DPoP proof.',
  clientAuthFailed: 'Client authentication failed.',
} as const;

/**
 * `POST /oauth/token` (RFC 6749 §3.2), as a pipeline that reads like the specification: the
 * form, the DPoP proof, the client, the grant type and whether this client may use it, then the
 * grant itself. The proof comes before client authentication: a client told to use a nonce
 * retries, and a `private_key_jwt` assertion recorded on the refused attempt would make the
 * retry a replay. Every answer is `no-store`.
 */
export async function tokenRoutes(app: FastifyInstance, context: OAuthContext): Promise<void> {
  acceptFormBodies(app);
  allowCrossOriginCalls(app, tokenEndpointPath, {
    requestHeaders: ['authorization', 'content-type', 'dpop'],
    exposedHeaders: ['DPoP-Nonce', 'WWW-Authenticate'],
  });
  const grants = tokenGrants(context);
  const dpop = createTokenEndpointDpop({
    url: `${context.config.issuer}${tokenEndpointPath}`,
    masterKey: context.config.masterKey,
  });

  app.post(tokenEndpointPath, async (request, reply) => {
    const params = formOrAnswer(request, reply);
    if (params === undefined) return reply;
    const nowMs = context.clock.nowMs();

    const proof = dpop.check(request.headers.dpop, nowMs);
    if (!proof.ok) {
      return proof.error === 'use_dpop_nonce'
        ? sendOAuthError(reply, 400, 'use_dpop_nonce', text.useNonce, {
            'dpop-nonce': proof.nonce ?? dpop.nonce(nowMs),
          })
        : sendOAuthError(reply, 400, 'invalid_dpop_proof', text.badProof);
    }

    const client = await clientOrAnswer(context, request, reply, params, nowMs);
    if (client === undefined) return reply;

    const grantType = params.get('grant_type');
    if (grantType === undefined) {
      return sendOAuthError(reply, 400, 'invalid_request', text.noGrantType);
    }
    const grant = grants.get(grantType);
    if (grant === undefined) {
      return sendOAuthError(reply, 400, 'unsupported_grant_type', text.unsupportedGrant);
    }
    if (!client.grantTypes.includes(grant.grantType)) {
      return sendOAuthError(reply, 400, 'unauthorized_client', text.unauthorizedGrant);
    }
    if (client.requireDpop && proof.jkt === undefined) {
      return sendOAuthError(reply, 400, 'invalid_dpop_proof', text.proofRequired);
    }

    let outcome: Awaited<ReturnType<typeof grant.exchange>>;
    try {
      outcome = await grant.exchange({
        params,
        client,
        dpopJkt: proof.jkt,
        origin: originOf(request),
      });
    } catch (error) {
      // Disabled between its authentication and the grant's check: answered as a
      // request arriving a moment later would be (clients/is-client-live.ts).
      if (!(error instanceof ClientNotLiveError)) throw error;
      return sendOAuthError(reply, 401, 'invalid_client', text.clientAuthFailed);
    }
    const nonceHeader = proof.jkt === undefined ? {} : { 'dpop-nonce': dpop.nonce(nowMs) };
    if (!outcome.ok) {
      return sendOAuthError(reply, 400, outcome.error, outcome.description, nonceHeader);
    }
    return reply.headers({ ...noStoreHeaders, ...nonceHeader }).send(outcome.body);
  });
}
