import { createHmac, timingSafeEqual } from 'node:crypto';
import { cookieValues } from '@writ/verify/internal';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Clock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { serializeCookie } from '../platform/http/cookies.ts';
import { findLiveSession } from '../sessions/find-live-session.ts';
import type { SessionRecord } from '../sessions/session-record.ts';
import type { SessionsStores } from '../sessions/sessions-store.ts';

/**
 * The browser's sign-in at the service (single sign-on): a first-party session opened by the
 * sign-in page, named by a `__Host-` cookie holding `<session id>.<HMAC(key, label ‖ id)>`.
 * Derived, not stored (like the CSRF value): the session id alone is not a secret (it is the
 * ID token's `sid`), the MAC is, and the session row decides whether it is still alive, so
 * signing out everywhere or deleting the session ends single sign-on too.
 *
 * `SameSite=Lax`, not Strict: the authorization request is a top-level navigation from the
 * client's site, and a Strict cookie would not be sent with it, so every authorization would
 * show the sign-in page again. Lax sends it only with top-level GETs, and a GET here can only
 * send a code to a redirect URI the client registered.
 */
export const browserSessionCookieName = '__Host-writ-sso';

/** Domain-separated from the CSRF value and the refresh binding made with the same key. */
const label = 'writ browser session\0';
const sessionIdShape = /^ses_[A-Za-z0-9_-]{22}$/;

function macFor(key: Uint8Array, sessionId: string): string {
  return createHmac('sha256', key)
    .update(label + sessionId, 'utf8')
    .digest('base64url');
}

export function browserSessionCookieValue(key: Uint8Array, sessionId: string): string {
  return `${sessionId}.${macFor(key, sessionId)}`;
}

/** The session id a cookie value vouches for (checked in constant time), or undefined. */
function vouchedSessionId(key: Uint8Array, value: string): string | undefined {
  const dot = value.indexOf('.');
  const sessionId = value.slice(0, dot);
  if (dot === -1 || !sessionIdShape.test(sessionId)) return undefined;
  const expected = Buffer.from(macFor(key, sessionId));
  const presented = Buffer.from(value.slice(dot + 1));
  return presented.length === expected.length && timingSafeEqual(presented, expected)
    ? sessionId
    : undefined;
}

/**
 * The browser's live sign-in, if its cookie is genuine and its first-party session still lives.
 * Two cookies of the name (one planted by a sibling domain is impossible for `__Host-`, but a
 * browser could still send two) count as none.
 */
export async function browserSessionOf(
  context: { readonly db: SessionsStores; readonly clock: Clock; readonly csrfKey: Uint8Array },
  request: FastifyRequest,
): Promise<SessionRecord | undefined> {
  const headers = request.headers.cookie === undefined ? [] : [request.headers.cookie];
  const values = cookieValues(headers, browserSessionCookieName);
  if (values.length !== 1 || values[0] === undefined) return undefined;
  const sessionId = vouchedSessionId(context.csrfKey, values[0]);
  if (sessionId === undefined) return undefined;
  const session = await findLiveSession(context, sessionId);
  // Only a session this page opened: a first-party cookie-mode session, never a client's.
  return session !== undefined && session.mode === 'cookie' ? session : undefined;
}

/** Sets the cookie for a session the sign-in page just opened, until its idle expiry. */
export function setBrowserSessionCookie(
  reply: FastifyReply,
  context: { readonly config: ServiceConfig; readonly clock: Clock; readonly csrfKey: Uint8Array },
  session: SessionRecord,
): void {
  const maxAgeSec = Math.max(0, Math.floor((session.idleExpiresAt - context.clock.nowMs()) / 1000));
  reply.header(
    'set-cookie',
    serializeCookie(
      browserSessionCookieName,
      browserSessionCookieValue(context.csrfKey, session.id),
      {
        Secure: true,
        HttpOnly: true,
        SameSite: 'Lax',
        Path: '/',
        'Max-Age': String(maxAgeSec),
      },
    ),
  );
}
