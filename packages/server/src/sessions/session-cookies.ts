import { defaultAccessCookieName } from '@writ/verify/internal';
import type { FastifyReply } from 'fastify';
import type { ServiceConfig } from '../platform/config/config.ts';
import { serializeCookie as cookie } from '../platform/http/cookies.ts';
import type { IssuedTokens } from './issue-tokens.ts';

export const accessCookieName = defaultAccessCookieName;
/**
 * `__Secure-` rather than `__Host-`: the refresh cookie is scoped to the refresh path, and
 * `__Host-` requires `Path=/`. It is sent nowhere but `POST /auth/refresh`.
 */
export const refreshCookieName = '__Secure-writ-refresh';
export const refreshPath = '/auth/refresh';

/**
 * Sets the cookie-mode pair: both `Secure` and `HttpOnly` — page scripts never see a token — and
 * `SameSite` per configuration (Strict by default). Browsers accept `Secure` cookies from
 * http://localhost, so development works without TLS.
 */
export function setSessionCookies(
  reply: FastifyReply,
  config: ServiceConfig,
  tokens: IssuedTokens,
  refreshMaxAgeSec: number,
): void {
  const common = { Secure: true, HttpOnly: true, SameSite: config.cookieSameSite } as const;
  reply.header('set-cookie', [
    cookie(accessCookieName, tokens.accessToken, {
      ...common,
      Path: '/',
      'Max-Age': String(tokens.expiresIn),
    }),
    cookie(refreshCookieName, tokens.refreshToken, {
      ...common,
      Path: refreshPath,
      'Max-Age': String(Math.max(0, Math.floor(refreshMaxAgeSec))),
    }),
  ]);
}

export function clearSessionCookies(reply: FastifyReply, config: ServiceConfig): void {
  const common = {
    Secure: true,
    HttpOnly: true,
    SameSite: config.cookieSameSite,
    'Max-Age': '0',
  } as const;
  reply.header('set-cookie', [
    cookie(accessCookieName, '', { ...common, Path: '/' }),
    cookie(refreshCookieName, '', { ...common, Path: refreshPath }),
  ]);
}
