import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { cookieValues } from '@writ/verify/internal';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { serializeCookie } from '../platform/http/cookies.ts';

/**
 * CSRF protection of the sign-in form (login CSRF: a page that posts the attacker's own
 * credentials would sign the victim's browser into the attacker's account, and every app the
 * victim then opens would be the attacker's). Double submit, bound to the pending authorization:
 * the browser holds a random value in a `__Host-`, `SameSite=Strict` cookie no other site can
 * set or send; the form carries HMAC(key, label ‖ pending handle ‖ that value). A forged post
 * from another site arrives without the cookie (Strict), and no one without the key can make
 * the form value for a cookie value they cannot read. One cookie per browser, so several tabs
 * signing in at once each keep a valid form.
 */
export const signInCsrfCookieName = '__Host-writ-signin';

const label = 'writ sign-in form\0';
const browserValueShape = /^[A-Za-z0-9_-]{43}$/;

function browserValueOf(request: FastifyRequest): string | undefined {
  const headers = request.headers.cookie === undefined ? [] : [request.headers.cookie];
  const values = cookieValues(headers, signInCsrfCookieName);
  const [value] = values;
  return values.length === 1 && value !== undefined && browserValueShape.test(value)
    ? value
    : undefined;
}

function formValueFor(key: Uint8Array, handle: string, browserValue: string): string {
  return createHmac('sha256', key)
    .update(`${label}${handle}\0${browserValue}`, 'utf8')
    .digest('base64url');
}

/**
 * The form value for a pending authorization, setting the browser's cookie first when it has
 * none (or a malformed one).
 */
export function issueSignInFormCsrf(
  reply: FastifyReply,
  request: FastifyRequest,
  key: Uint8Array,
  handle: string,
): string {
  let browserValue = browserValueOf(request);
  if (browserValue === undefined) {
    browserValue = randomBytes(32).toString('base64url');
    reply.header(
      'set-cookie',
      serializeCookie(signInCsrfCookieName, browserValue, {
        Secure: true,
        HttpOnly: true,
        SameSite: 'Strict',
        Path: '/',
      }),
    );
  }
  return formValueFor(key, handle, browserValue);
}

/** Whether the posted form value matches this browser's cookie and this pending authorization. */
export function isSignInFormCsrfValid(
  request: FastifyRequest,
  key: Uint8Array,
  handle: string,
  posted: string,
): boolean {
  const browserValue = browserValueOf(request);
  if (browserValue === undefined) return false;
  const expected = Buffer.from(formValueFor(key, handle, browserValue));
  const presented = Buffer.from(posted);
  return presented.length === expected.length && timingSafeEqual(presented, expected);
}
