import { withFullySpecifiedNames } from '@writ/core';
import { createDpopReplayCache, type DpopVerifierOptions, type Verifier } from '@writ/verify';
import { fastifyAuthenticate } from '@writ/verify/fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { findClient } from '../clients/find-client.ts';
import { acceptFormBodies } from '../oauth/form-body.ts';
import { createRevocationView } from '../oauth/revocation-view.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import { findUser } from '../users/find-user.ts';
import { peekToken } from './peek-token.ts';
import { userinfoClaims } from './userinfo-claims.ts';
import type { UserinfoContext } from './userinfo-context.ts';

export const userinfoPath = '/oauth/userinfo';

/**
 * The service's own verifier (app/own-verifier.ts) for one audience, accepting DPoP-bound tokens
 * with their proofs; `current()` is the verifier over the keys the ring publishes now.
 */
export type AudienceVerifierFactory = (
  audience: string,
  dpop: DpopVerifierOptions,
) => { current(): Verifier };

/** Verifiers kept for audiences other than the service's own; the oldest goes past this. */
const maxAudienceVerifiers = 64;
const proofAlgorithms = ['EdDSA', 'ES256'] as const;
/** As the adapter states it: `algs` lists what the verifier accepts (Ed25519 with EdDSA). */
const invalidTokenChallenge = `Bearer error="invalid_token", DPoP error="invalid_token", algs="${[
  ...withFullySpecifiedNames(proofAlgorithms),
].join(' ')}"`;

/**
 * The refusal for a token that verified but whose session or client no longer stands: the same
 * bytes as the adapter's own invalid_token answer, so no caller learns which check failed.
 */
function refuseToken(reply: FastifyReply) {
  return reply
    .code(401)
    .headers({
      'content-type': 'application/json; charset=utf-8',
      'cache-control': 'no-store',
      'www-authenticate': invalidTokenChallenge,
    })
    .send(JSON.stringify({ error: 'invalid_token' }));
}

/**
 * `GET|POST /oauth/userinfo` (OIDC Core §5.3): the claims of the user an access token with scope
 * `openid` was issued for. The token travels in `Authorization` only (Bearer, or DPoP with its
 * proof), never in the query or the body; refusals are RFC 6750's (`invalid_request` 400,
 * `invalid_token` 401, `insufficient_scope` 403 with `scope="openid"`) with `WWW-Authenticate`.
 *
 * Every access token has a resource audience (RFC 8707; by default the client's first), and a
 * relying party presents the one it got from the code exchange, so a token is accepted for the
 * service's own audience or for one of the audiences its (live) client is registered for. After
 * the signature: its session must still be live and the client's (sign-out ends userinfo at
 * once, with no wait for the token's expiry), and the revocation log must not revoke it (its
 * jti, the key that signed it, the user before a time).
 */
export async function userinfoRoutes(
  app: FastifyInstance,
  context: UserinfoContext,
  verifierFor: AudienceVerifierFactory,
): Promise<void> {
  // A body is allowed (POST) and ignored: form bodies are read as text, anything else refused.
  acceptFormBodies(app);
  const revocations = createRevocationView(context);
  // One replay cache for every audience's verifier: a proof is spent whichever one saw it.
  const dpop: DpopVerifierOptions = {
    replay: createDpopReplayCache({ maxEntries: 100_000 }),
    algorithms: proofAlgorithms,
  };
  const ownAudience = verifierFor(context.config.audience, dpop);
  const byAudience = new Map<string, { current(): Verifier }>();
  const hooks = new WeakMap<Verifier, onRequestHookHandler>();
  const authenticateOptions = {
    requiredScopes: ['openid'],
    // The URL DPoP proofs name: the issuer's origin, never one rebuilt from forwarded headers.
    publicOrigin: new URL(context.config.issuer).origin,
  };

  const verifierOf = async (rawHeaders: readonly string[]): Promise<{ current(): Verifier }> => {
    const peeked = peekToken(rawHeaders);
    if (peeked === undefined || peeked.audience === context.config.audience) return ownAudience;
    const client =
      peeked.clientId === undefined ? undefined : await findClient(context, peeked.clientId);
    if (client === undefined || !client.audiences.includes(peeked.audience)) return ownAudience;
    let verifier = byAudience.get(peeked.audience);
    if (verifier === undefined) {
      verifier = verifierFor(peeked.audience, dpop);
      if (byAudience.size >= maxAudienceVerifiers) {
        const oldest = byAudience.keys().next().value;
        if (oldest !== undefined) byAudience.delete(oldest);
      }
    } else {
      byAudience.delete(peeked.audience);
    }
    byAudience.set(peeked.audience, verifier);
    return verifier;
  };

  const hookFor = (verifier: Verifier): onRequestHookHandler => {
    let hook = hooks.get(verifier);
    if (hook === undefined) {
      hook = fastifyAuthenticate(verifier, authenticateOptions);
      hooks.set(verifier, hook);
    }
    return hook;
  };

  if (!app.hasRequestDecorator('auth')) app.decorateRequest('auth', null as never);
  app.addHook('onRequest', function authenticate(request, reply, done) {
    verifierOf(request.raw.rawHeaders).then(
      (verifier) => hookFor(verifier.current()).call(this, request, reply, done),
      done,
    );
  });

  const answer = async (request: FastifyRequest, reply: FastifyReply) => {
    const { claims, header, scopes } = request.auth;
    const sessionId = claims.sid;
    const clientId = claims.client_id;
    if (sessionId === undefined || clientId === undefined) return refuseToken(reply);
    const session = await findLiveSession(context, sessionId);
    if (
      session === undefined ||
      session.userId !== claims.sub ||
      session.client?.clientId !== clientId ||
      (await findClient(context, clientId)) === undefined ||
      (await revocations.isRevoked(claims, header))
    ) {
      return refuseToken(reply);
    }
    const user = await findUser(context, claims.sub);
    if (user === undefined) return refuseToken(reply);
    return reply
      .code(200)
      .headers({ 'cache-control': 'no-store', pragma: 'no-cache' })
      .send(userinfoClaims(user, scopes));
  };
  app.get(userinfoPath, answer);
  app.post(userinfoPath, answer);
}
