import type { Verifier } from '@writ/verify';
import { writFastify } from '@writ/verify/fastify';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Clock } from '../platform/clock.ts';
import { firstPartyClientId } from './issue-tokens.ts';
import { isLive, type SessionRecord } from './session-record.ts';
import type { SessionsStores } from './sessions-store.ts';

/** The signed-in caller, as established by the HTTP layer from a verified access token. */
export interface Caller {
  readonly userId: string;
  readonly sessionId: string;
}

/**
 * Whether a session is one the user opened with Writ itself (`/auth/sign-in`, body or cookie
 * mode, or the browser sign-in of the authorization endpoint), not one an OAuth client holds.
 */
function isFirstParty(session: SessionRecord): boolean {
  return session.mode !== 'oauth' && session.client === undefined;
}

/**
 * Guards the routes of `app` for a signed-in user: a valid access token (header, or the cookie
 * plus `X-CSRF-Token` on state-changing requests) whose session is still live in the database.
 * The service is the source of truth for its own sessions, so it needs no revocation mirror.
 *
 * Only first-party tokens pass: `client_id` is Writ's own and the session is a first-party one.
 * An OAuth client's access token may carry the service's audience (the default of a client
 * registered without audiences), but a third-party client acts only through the scopes it was
 * granted on resource servers; it must never sign the user out everywhere, list or delete their
 * sessions or read their activity. Both checks, because either alone rests on one fact: the
 * claim is signed by us but names what minted the token, the session row says what it is now.
 */
export async function requireSignedInCaller(
  app: FastifyInstance,
  context: { readonly db: SessionsStores; readonly clock: Clock },
  verifier: Verifier,
): Promise<void> {
  await app.register(writFastify, { verifier, cookie: {} });
  app.addHook('preHandler', async (request, reply) => {
    const { sid, client_id: clientId } = request.auth.claims;
    const session =
      sid === undefined || clientId !== firstPartyClientId
        ? undefined
        : await context.db.sessions.find(sid);
    if (
      session === undefined ||
      !isFirstParty(session) ||
      session.userId !== request.auth.claims.sub ||
      !isLive(session, context.clock.nowMs())
    ) {
      return reply
        .code(401)
        .headers({
          'cache-control': 'no-store',
          'www-authenticate': 'Bearer error="invalid_token"',
        })
        .send({ error: 'invalid_token' });
    }
  });
}

export function callerOf(request: FastifyRequest): Caller {
  return { userId: request.auth.claims.sub, sessionId: request.auth.claims.sid ?? '' };
}
