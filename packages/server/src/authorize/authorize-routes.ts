import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authenticateClient } from '../clients/authenticate-client.ts';
import type { ClientRecord } from '../clients/client-record.ts';
import { findClient } from '../clients/find-client.ts';
import { acceptFormBodies, formParamsOf } from '../oauth/form-body.ts';
import { noStoreHeaders, sendOAuthError } from '../oauth/oauth-errors.ts';
import { originOf } from '../platform/http/origin.ts';
import { signIn } from '../sessions/sign-in.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import { authorizationResponseUrl } from './authorization-response.ts';
import type { AuthorizeContext } from './authorize-context.ts';
import { type AuthorizeError, type ShownProblem, shownProblemText } from './authorize-errors.ts';
import { browserSessionOf, setBrowserSessionCookie } from './browser-session.ts';
import { consentRequired } from './consent.ts';
import {
  holdAuthorizationRequest,
  pushedRequestTtlSec,
  requestUriPrefix,
  takeHeldRequest,
} from './held-requests.ts';
import { issueAuthorizationCode } from './issue-authorization-code.ts';
import type { OAuthParams } from './oauth-params.ts';
import { queryParamsOf } from './oauth-params.ts';
import { derivePendingSignInKey, openPendingSignIn, sealPendingSignIn } from './pending-sign-in.ts';
import { registeredRedirectUri, resolveClientRedirect } from './resolve-client-redirect.ts';
import { isSignInFormCsrfValid, issueSignInFormCsrf } from './sign-in-form-csrf.ts';
import { sendErrorPage, sendSignInPage, signInFormPath } from './sign-in-page.ts';
import {
  checkAuthorizationParameters,
  echoableState,
  stillAllowed,
} from './validate-authorization-request.ts';

export const authorizePath = '/oauth/authorize';
export const parPath = '/oauth/par';

/** The one message for every failed password sign-in: which part was wrong stays unsaid. */
const invalidCredentialsText = 'The email or password is incorrect.';
const maxEmailLength = 254;
const maxPasswordLength = 1024;

type ResolvedRequest =
  | { readonly ok: true; readonly client: ClientRecord; readonly request: AuthorizationRequest }
  | { readonly ok: false; readonly problem: ShownProblem }
  | {
      readonly ok: false;
      readonly redirectUri: string;
      readonly state: string | null;
      readonly error: AuthorizeError;
    };

/**
 * The authorization request a GET carries: pushed earlier (`request_uri`, RFC 9126 §4: only
 * `client_id` beside it counts, and the pushed request is used up), or in the query, checked in
 * two stages: client and redirect URI first (failures shown here), the rest after (failures
 * sent to the redirect URI).
 */
async function resolveRequest(
  context: AuthorizeContext,
  input: OAuthParams,
): Promise<ResolvedRequest> {
  if (input.params.has('request_uri') || input.repeated.has('request_uri')) {
    const clientId = input.params.get('client_id');
    if (clientId === undefined || input.repeated.has('client_id'))
      return { ok: false, problem: 'invalid_client' };
    const client = await findClient(context, clientId);
    if (client === undefined) return { ok: false, problem: 'invalid_client' };
    const requestUri = input.params.get('request_uri');
    if (requestUri === undefined || !requestUri.startsWith(requestUriPrefix))
      return { ok: false, problem: 'invalid_request_uri' };
    const handle = requestUri.slice(requestUriPrefix.length);
    const request = await takeHeldRequest(context, 'pushed', handle, client.clientId);
    if (request === undefined) return { ok: false, problem: 'invalid_request_uri' };
    // The client's registration may have changed in the seconds since it pushed.
    if (!stillAllowed(client, request)) return { ok: false, problem: 'invalid_redirect_uri' };
    return { ok: true, client, request };
  }
  const target = await resolveClientRedirect(context, input);
  if (!target.ok) return target;
  const checked = checkAuthorizationParameters(target.client, target.redirectUri, input);
  if (!checked.ok) {
    return {
      ok: false,
      redirectUri: target.redirectUri,
      state: echoableState(input),
      error: { error: checked.error, description: checked.description },
    };
  }
  return { ok: true, client: target.client, request: checked.request };
}

function redirect(reply: FastifyReply, status: 302 | 303, location: string) {
  return reply
    .code(status)
    .headers({ ...noStoreHeaders, location })
    .send();
}

function redirectWithError(
  reply: FastifyReply,
  context: AuthorizeContext,
  request: Pick<AuthorizationRequest, 'redirectUri' | 'state'>,
  error: AuthorizeError,
) {
  return redirect(
    reply,
    302,
    authorizationResponseUrl(request.redirectUri, context.config.issuer, request.state, error),
  );
}

async function redirectWithCode(
  reply: FastifyReply,
  context: AuthorizeContext,
  status: 302 | 303,
  request: AuthorizationRequest,
  signedIn: { readonly userId: string; readonly authTimeMs: number; readonly sessionId: string },
) {
  const code = await issueAuthorizationCode(context, {
    request,
    userId: signedIn.userId,
    authTimeMs: signedIn.authTimeMs,
    browserSessionId: signedIn.sessionId,
  });
  return redirect(
    reply,
    status,
    authorizationResponseUrl(request.redirectUri, context.config.issuer, request.state, { code }),
  );
}

/** Whether the browser's sign-in may answer this request without asking for the password. */
function signInSuffices(
  request: AuthorizationRequest,
  session: { readonly createdAt: number } | undefined,
  nowMs: number,
): boolean {
  if (session === undefined || request.prompt === 'login') return false;
  return request.maxAgeSec === null || nowMs - session.createdAt <= request.maxAgeSec * 1000;
}

/**
 * `GET /oauth/authorize` (RFC 6749 §4.1.1 with PKCE, RFC 9207 `iss`, RFC 9126 `request_uri`,
 * OIDC `nonce`, `prompt`, `max_age`) and its `POST` form, `POST /oauth/authorize/sign-in` (the
 * sign-in page's form) and `POST /oauth/par` (RFC 9126).
 */
export async function authorizeRoutes(
  app: FastifyInstance,
  context: AuthorizeContext,
): Promise<void> {
  const pendingKey = derivePendingSignInKey(context.config.masterKey);

  const showSignIn = (
    request: FastifyRequest,
    reply: FastifyReply,
    status: number,
    pending: {
      readonly sealed: string;
      readonly client: ClientRecord;
      readonly redirectUri: string;
    },
    email: string,
    message: string | undefined,
  ) =>
    sendSignInPage(reply, status, {
      request: pending.sealed,
      csrf: issueSignInFormCsrf(reply, request, context.csrfKey, pending.sealed),
      clientName: pending.client.name,
      redirectUri: pending.redirectUri,
      email,
      message,
    });

  const answerAuthorization = async (
    request: FastifyRequest,
    reply: FastifyReply,
    input: OAuthParams | undefined,
  ) => {
    if (input === undefined) return sendErrorPage(reply, 400, shownProblemText.invalid_request);
    const resolved = await resolveRequest(context, input);
    if (!resolved.ok) {
      return 'problem' in resolved
        ? sendErrorPage(reply, 400, shownProblemText[resolved.problem])
        : redirectWithError(reply, context, resolved, resolved.error);
    }
    const { client, request: authorization } = resolved;
    const session = await browserSessionOf(context, request);
    const nowMs = context.clock.nowMs();
    if (
      session !== undefined &&
      signInSuffices(authorization, session, nowMs) &&
      !consentRequired(client, authorization)
    ) {
      return redirectWithCode(reply, context, 302, authorization, {
        userId: session.userId,
        authTimeMs: session.createdAt,
        sessionId: session.id,
      });
    }
    if (authorization.prompt === 'none') {
      return redirectWithError(reply, context, authorization, {
        error: 'login_required',
        description: 'The user is not signed in, and prompt=none forbids asking.',
      });
    }
    const sealed = sealPendingSignIn(pendingKey, authorization, nowMs);
    return showSignIn(
      request,
      reply,
      200,
      { sealed, client, redirectUri: authorization.redirectUri },
      '',
      undefined,
    );
  };

  app.get(authorizePath, (request, reply) =>
    answerAuthorization(request, reply, queryParamsOf(request.url)),
  );

  await app.register(async (forms) => {
    acceptFormBodies(forms);

    // OIDC Core §3.1.2.1: the authorization endpoint takes POST as well (a form-encoded body).
    // A repeated parameter here is shown rather than redirected: the form parser says only
    // that one was repeated, not whether it was client_id or redirect_uri.
    forms.post(authorizePath, (request, reply) => {
      const form = formParamsOf(request);
      return answerAuthorization(
        request,
        reply,
        form.ok ? { params: form.params, repeated: new Set() } : undefined,
      );
    });

    forms.post(signInFormPath, async (request, reply) => {
      const form = formParamsOf(request);
      if (!form.ok) return sendErrorPage(reply, 400, shownProblemText.invalid_request);
      const sealed = form.params.get('request') ?? '';
      const csrf = form.params.get('csrf') ?? '';
      const email = form.params.get('email') ?? '';
      const password = form.params.get('password') ?? '';
      const authorization = openPendingSignIn(pendingKey, sealed, context.clock.nowMs());
      if (authorization === undefined)
        return sendErrorPage(reply, 400, shownProblemText.sign_in_expired);
      // Before any password is looked at: a post another site forged is refused unread.
      if (!isSignInFormCsrfValid(request, context.csrfKey, sealed, csrf))
        return sendErrorPage(reply, 403, shownProblemText.sign_in_expired);
      const client = await findClient(context, authorization.clientId);
      if (client === undefined || !stillAllowed(client, authorization))
        return sendErrorPage(reply, 400, shownProblemText.invalid_client);
      const pending = { sealed, client, redirectUri: authorization.redirectUri };
      if (
        email.length === 0 ||
        email.length > maxEmailLength ||
        password.length === 0 ||
        password.length > maxPasswordLength
      ) {
        return showSignIn(
          request,
          reply,
          400,
          pending,
          email.slice(0, maxEmailLength),
          invalidCredentialsText,
        );
      }

      // The first-party sign-in flow, as it is: throttling, a decoy Argon2id check for unknown
      // accounts, the activity log. The session it opens is the browser's sign-in here.
      const result = await signIn(context, { email, password, mode: 'cookie' }, originOf(request));
      if (!result.ok) {
        if (result.error === 'throttled') {
          reply.header('retry-after', String(result.retryAfterSec));
          return showSignIn(
            request,
            reply,
            429,
            pending,
            email,
            `Too many attempts. Try again in ${result.retryAfterSec} seconds.`,
          );
        }
        return showSignIn(request, reply, 401, pending, email, invalidCredentialsText);
      }
      const { session } = result;
      setBrowserSessionCookie(reply, context, session);
      // 303: the browser follows a redirect after a POST with a GET (RFC 9110 §15.4.4), never
      // re-posting the password to the client, which a 307 would do.
      return redirectWithCode(reply, context, 303, authorization, {
        userId: session.userId,
        authTimeMs: session.createdAt,
        sessionId: session.id,
      });
    });

    forms.post(parPath, async (request, reply) => {
      const form = formParamsOf(request);
      if (!form.ok)
        return sendOAuthError(
          reply,
          400,
          'invalid_request',
          'The request body must be a form that repeats no parameter.',
        );
      const { params } = form;
      const authenticated = await authenticateClient(
        context,
        { headers: request.headers, params },
        context.clock.nowMs(),
      );
      if (!authenticated.ok) {
        return authenticated.status === 401
          ? sendOAuthError(
              reply,
              401,
              'invalid_client',
              'Client authentication failed.',
              authenticated.wwwAuthenticate === undefined
                ? {}
                : { 'www-authenticate': authenticated.wwwAuthenticate },
            )
          : sendOAuthError(
              reply,
              400,
              'invalid_request',
              'The client authentication is malformed.',
            );
      }
      const { client } = authenticated;
      const clientId = params.get('client_id');
      if (clientId !== undefined && clientId !== client.clientId)
        return sendOAuthError(
          reply,
          400,
          'invalid_request',
          'client_id differs from the authenticated client.',
        );
      const input: OAuthParams = { params, repeated: new Set() };
      const target = registeredRedirectUri(client, input);
      if (!target.ok)
        return sendOAuthError(
          reply,
          400,
          'invalid_request',
          'redirect_uri is not one this client registered.',
        );
      const checked = checkAuthorizationParameters(client, target.redirectUri, input);
      if (!checked.ok) return sendPushError(reply, checked.error, checked.description);
      const handle = await holdAuthorizationRequest(context, 'pushed', checked.request);
      return reply
        .code(201)
        .headers(noStoreHeaders)
        .send({ request_uri: `${requestUriPrefix}${handle}`, expires_in: pushedRequestTtlSec });
    });
  });
}

/**
 * A pushed request's error (RFC 9126 §2.3: as the token endpoint answers). The few codes of
 * the authorization endpoint that oauth-errors.ts does not name are sent as they are.
 */
function sendPushError(reply: FastifyReply, error: AuthorizeError['error'], description: string) {
  return reply.code(400).headers(noStoreHeaders).send({ error, error_description: description });
}
