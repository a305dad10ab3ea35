import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { browserSessionCookieName, browserSessionOf } from '../authorize/browser-session.ts';
import { queryParamsOf } from '../authorize/oauth-params.ts';
import type { ClientRecord } from '../clients/client-record.ts';
import { findClient } from '../clients/find-client.ts';
import { acceptFormBodies, formParamsOf } from '../oauth/form-body.ts';
import { serializeCookie } from '../platform/http/cookies.ts';
import { originOf } from '../platform/http/origin.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import {
  type ConfirmedRequest,
  confirmationCsrfFor,
  isConfirmationCsrfValid,
} from './confirmation-csrf.ts';
import { endBrowserSessions } from './end-browser-sessions.ts';
import { createIdTokenHintReader, type IdTokenHint } from './id-token-hint.ts';
import type { LogoutContext } from './logout-context.ts';
import {
  logoutConfirmPath,
  sendConfirmationPage,
  sendLogoutErrorPage,
  sendSignedOutPage,
} from './logout-page.ts';

export const endSessionPath = '/oauth/logout';

/** `state` is the relying party's; beyond this it is not a state value but a payload. */
const maxStateLength = 512;
const maxBodyBytes = 16 * 1024;

const problemText = {
  malformed: 'This sign-out link is malformed.',
  invalidHint: 'This sign-out link is not valid. Go back to the application and try again.',
  expired: 'This sign-out form has expired or was already used. Go back and try again.',
} as const;

/**
 * The request's parameters: the query (GET) or the form (POST), read by the authorization and
 * token endpoints' own parsers. `undefined` when malformed, too many, or a parameter is repeated.
 */
function paramsOf(request: FastifyRequest): ReadonlyMap<string, string> | undefined {
  if (request.method === 'GET') {
    const query = queryParamsOf(request.url);
    return query === undefined || query.repeated.size > 0 ? undefined : query.params;
  }
  const form = formParamsOf(request);
  return form.ok ? form.params : undefined;
}

/** A `Set-Cookie` that removes the browser's SSO cookie (attributes as authorize/ sets it). */
function clearBrowserSessionCookie(reply: FastifyReply): void {
  reply.header(
    'set-cookie',
    serializeCookie(browserSessionCookieName, '', {
      Secure: true,
      HttpOnly: true,
      SameSite: 'Lax',
      Path: '/',
      'Max-Age': '0',
    }),
  );
}

/**
 * Where the logout may return: `post_logout_redirect_uri` only when it is, exactly, one the
 * client registered (RP-Initiated Logout 1.0 §3: never an open redirect). The client is the
 * named one, or the hint's only audience.
 */
async function redirectTargetOf(
  context: LogoutContext,
  clientId: string | undefined,
  requested: string | undefined,
): Promise<{ readonly client: ClientRecord | undefined; readonly target: string | undefined }> {
  const client = clientId === undefined ? undefined : await findClient(context, clientId);
  const target =
    client !== undefined &&
    requested !== undefined &&
    client.postLogoutRedirectUris.includes(requested)
      ? requested
      : undefined;
  return { client, target };
}

function finish(reply: FastifyReply, target: string | undefined, state: string | undefined) {
  if (target === undefined) return sendSignedOutPage(reply);
  const url = new URL(target);
  if (state !== undefined) url.searchParams.set('state', state);
  return reply
    .code(303)
    .headers({ 'cache-control': 'no-store', pragma: 'no-cache', location: url.href })
    .send();
}

/**
 * `GET|POST /oauth/logout` (OpenID Connect RP-Initiated Logout 1.0, the `end_session_endpoint`)
 * and `POST /oauth/logout/confirm` (the confirmation page's form).
 *
 * With a genuine `id_token_hint` (expired ones included) the relying party has shown it holds an
 * ID token of the user, and the logout happens at once: the hint's browser session and the
 * browser's own sign-in, when it is the same user's. Without one, a link any site could plant
 * would sign the user out (logout CSRF), so the user is asked on the service's own page first.
 * A forged or malformed hint is refused outright.
 */
export async function logoutRoutes(app: FastifyInstance, context: LogoutContext): Promise<void> {
  const readHint = createIdTokenHintReader(context);

  const handle = async (request: FastifyRequest, reply: FastifyReply) => {
    const params = paramsOf(request);
    if (params === undefined) return sendLogoutErrorPage(reply, 400, problemText.malformed);
    const state = params.get('state');
    if (state !== undefined && state.length > maxStateLength)
      return sendLogoutErrorPage(reply, 400, problemText.malformed);
    const hintToken = params.get('id_token_hint');
    let hint: IdTokenHint | undefined;
    if (hintToken !== undefined) {
      hint = await readHint(hintToken);
      if (hint === undefined) return sendLogoutErrorPage(reply, 400, problemText.invalidHint);
    }
    let clientId = params.get('client_id');
    if (hint !== undefined) {
      // §2: when both are given, the client must be the one the ID token was issued to.
      if (clientId !== undefined && !hint.clientIds.includes(clientId))
        return sendLogoutErrorPage(reply, 400, problemText.invalidHint);
      if (clientId === undefined && hint.clientIds.length === 1) clientId = hint.clientIds[0];
    }
    const { client, target } = await redirectTargetOf(
      context,
      clientId,
      params.get('post_logout_redirect_uri'),
    );
    const browser = await browserSessionOf(context, request);

    if (hint !== undefined) {
      const ending: SessionRecord[] = [];
      const named =
        hint.browserSessionId === undefined
          ? undefined
          : await findLiveSession(context, hint.browserSessionId);
      if (named !== undefined && named.userId === hint.userId && named.mode === 'cookie')
        ending.push(named);
      if (browser !== undefined && browser.userId === hint.userId && browser.id !== named?.id)
        ending.push(browser);
      await endBrowserSessions(context, ending, originOf(request));
      if (browser !== undefined && browser.userId === hint.userId) clearBrowserSessionCookie(reply);
      return finish(reply, target, state);
    }
    // Nothing to end: no confirmation needed, and none would mean anything.
    if (browser === undefined) return finish(reply, target, state);
    const confirmed: ConfirmedRequest = {
      clientId: client?.clientId,
      redirectUri: target,
      state,
    };
    return sendConfirmationPage(reply, {
      csrf: confirmationCsrfFor(context.csrfKey, browser.id, confirmed),
      ...confirmed,
      clientName: client?.name,
    });
  };

  app.get(endSessionPath, handle);
  await app.register(async (forms) => {
    acceptFormBodies(forms);
    forms.post(endSessionPath, { bodyLimit: maxBodyBytes }, handle);
    forms.post(logoutConfirmPath, { bodyLimit: maxBodyBytes }, async (request, reply) => {
      const params = paramsOf(request);
      if (params === undefined) return sendLogoutErrorPage(reply, 400, problemText.malformed);
      const browser = await browserSessionOf(context, request);
      const { client, target } = await redirectTargetOf(
        context,
        params.get('client_id'),
        params.get('post_logout_redirect_uri'),
      );
      const state = params.get('state');
      // Already signed out (another tab, the session expired): the wish is fulfilled.
      if (browser === undefined) return finish(reply, target, state);
      const confirmed: ConfirmedRequest = {
        clientId: params.get('client_id'),
        redirectUri: params.get('post_logout_redirect_uri'),
        state,
      };
      if (
        !isConfirmationCsrfValid(context.csrfKey, browser.id, confirmed, params.get('csrf') ?? '')
      )
        return sendLogoutErrorPage(reply, 403, problemText.expired);
      await endBrowserSessions(context, [browser], originOf(request));
      clearBrowserSessionCookie(reply);
      return finish(reply, client === undefined ? undefined : target, state);
    });
  });
}
