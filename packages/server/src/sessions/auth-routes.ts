import { cookieValues } from '@writ/verify/internal';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { sendError } from '../platform/http/errors.ts';
import { originOf } from '../platform/http/origin.ts';
import type { IssuedTokens } from './issue-tokens.ts';
import { refresh } from './refresh.ts';
import {
  boundRefreshToken,
  refreshBindingCookieName,
  refreshBindingFor,
} from './refresh-binding.ts';
import {
  clearPlantedRefreshCookies,
  clearSessionCookies,
  refreshCookieName,
  setSessionCookies,
} from './session-cookies.ts';
import type { SessionRecord } from './session-record.ts';
import type { SessionsContext } from './sessions-context.ts';
import { signIn } from './sign-in.ts';

interface SignInBody {
  email: string;
  password: string;
  mode?: 'body' | 'cookie';
}

interface RefreshBody {
  refresh_token?: string;
}

const signInSchema = {
  body: {
    type: 'object',
    required: ['email', 'password'],
    additionalProperties: false,
    properties: {
      email: { type: 'string', minLength: 3, maxLength: 254 },
      password: { type: 'string', minLength: 1, maxLength: 1024 },
      mode: { type: 'string', enum: ['body', 'cookie'] },
    },
  },
} as const;

const refreshSchema = {
  body: {
    type: ['object', 'null'],
    additionalProperties: false,
    properties: { refresh_token: { type: 'string', minLength: 1, maxLength: 256 } },
  },
} as const;

/** Sends a fresh pair the way the session was opened: JSON for apps, cookies for browsers. */
function sendTokens(
  reply: FastifyReply,
  context: SessionsContext,
  session: SessionRecord,
  tokens: IssuedTokens,
) {
  reply.header('cache-control', 'no-store');
  if (session.mode === 'cookie') {
    setSessionCookies(
      reply,
      context.config,
      tokens,
      refreshBindingFor(context.csrfKey, tokens.refreshToken),
      (session.absoluteExpiresAt - context.clock.nowMs()) / 1000,
    );
    return reply.send({ csrf_token: tokens.csrfToken, expires_in: tokens.expiresIn });
  }
  return reply.send({
    access_token: tokens.accessToken,
    token_type: 'Bearer',
    expires_in: tokens.expiresIn,
    refresh_token: tokens.refreshToken,
  });
}

/** `POST /auth/sign-in` and `POST /auth/refresh`: the two ways to get tokens. */
export async function authRoutes(app: FastifyInstance, context: SessionsContext): Promise<void> {
  app.post<{ Body: SignInBody }>(
    '/auth/sign-in',
    { schema: signInSchema },
    async (request, reply) => {
      const result = await signIn(
        context,
        {
          email: request.body.email,
          password: request.body.password,
          mode: request.body.mode ?? 'body',
        },
        originOf(request),
      );
      if (!result.ok) {
        return result.error === 'throttled'
          ? sendError(reply, 429, 'slow_down', { 'retry-after': String(result.retryAfterSec) })
          : sendError(reply, 401, 'invalid_credentials');
      }
      return sendTokens(reply, context, result.session, result.tokens);
    },
  );

  app.post<{ Body: RefreshBody | null }>(
    '/auth/refresh',
    { schema: refreshSchema },
    async (request, reply) => {
      const fromBody = request.body?.refresh_token;
      const cookieHeaders = request.headers.cookie === undefined ? [] : [request.headers.cookie];
      const fromCookie = cookieValues(cookieHeaders, refreshCookieName);
      if (fromBody !== undefined && fromCookie.length > 0)
        return sendError(reply, 400, 'invalid_request');
      if (fromBody === undefined && fromCookie.length === 0)
        return sendError(reply, 401, 'invalid_grant');
      let cookieToken = '';
      if (fromBody === undefined) {
        // Cookie refresh needs a custom header: it makes a cross-origin page's request non-simple,
        // so the browser asks first (CORS preflight) and the service never says yes. SameSite alone
        // would let a sibling subdomain trigger refreshes (and, twice at once, a reuse revocation).
        if (request.headers['x-writ-refresh'] !== '1') {
          return sendError(reply, 400, 'invalid_request');
        }
        // Only the refresh cookie the service's own origin bound counts: a sibling subdomain can
        // plant one (its own session's, to sign the victim into it), never the __Host- binding.
        // Beside a second refresh cookie, the planted variants are cleared as far as they can be.
        if (fromCookie.length > 1) clearPlantedRefreshCookies(reply, request.hostname);
        const bound = boundRefreshToken(
          context.csrfKey,
          fromCookie,
          cookieValues(cookieHeaders, refreshBindingCookieName),
        );
        if (bound === undefined) {
          clearSessionCookies(reply, context.config);
          return sendError(reply, 401, 'invalid_grant');
        }
        cookieToken = bound;
      }
      const result = await refresh(
        context,
        fromBody === undefined
          ? { refreshToken: cookieToken, transport: 'cookie' }
          : { refreshToken: fromBody, transport: 'body' },
        originOf(request),
      );
      if (!result.ok) {
        // A dead cookie session: clear its cookies so the browser stops presenting them.
        if (fromBody === undefined) clearSessionCookies(reply, context.config);
        return sendError(reply, 401, 'invalid_grant');
      }
      return sendTokens(reply, context, result.session, result.tokens);
    },
  );
}
