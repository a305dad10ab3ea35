import { isIP } from 'node:net';
import { defaultAccessCookieName } from '@writ/verify/internal';
import type { FastifyReply } from 'fastify';
import type { ServiceConfig } from '../platform/config/config.ts';
import { serializeCookie as cookie } from '../platform/http/cookies.ts';
import type { IssuedTokens } from './issue-tokens.ts';
import { refreshBindingCookieName } from './refresh-binding.ts';

export const accessCookieName = defaultAccessCookieName;
/**
 * `__Secure-` rather than `__Host-`: the refresh cookie is scoped to the refresh path (and
 * `__Host-` requires `Path=/`), so the refresh token is sent nowhere but `POST /auth/refresh`.
 * Siblings can set a cookie of this name; a refresh therefore also needs the `__Host-` binding
 * cookie (refresh-binding.ts).
 */
export const refreshCookieName = '__Secure-writ-refresh';
export const refreshPath = '/auth/refresh';

/**
 * Sets the cookie-mode cookies: all `Secure` and `HttpOnly` — page scripts never see a token —
 * and `SameSite` per configuration (Strict by default). Browsers accept `Secure` cookies from
 * http://localhost, so development works without TLS.
 */
export function setSessionCookies(
  reply: FastifyReply,
  config: ServiceConfig,
  tokens: IssuedTokens,
  refreshBinding: string,
  refreshMaxAgeSec: number,
): void {
  const common = { Secure: true, HttpOnly: true, SameSite: config.cookieSameSite } as const;
  const refreshMaxAge = String(Math.max(0, Math.floor(refreshMaxAgeSec)));
  reply.header('set-cookie', [
    cookie(accessCookieName, tokens.accessToken, {
      ...common,
      Path: '/',
      'Max-Age': String(tokens.expiresIn),
    }),
    cookie(refreshCookieName, tokens.refreshToken, {
      ...common,
      Path: refreshPath,
      'Max-Age': refreshMaxAge,
    }),
    cookie(refreshBindingCookieName, refreshBinding, {
      ...common,
      Path: '/',
      'Max-Age': refreshMaxAge,
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
    cookie(refreshBindingCookieName, '', { ...common, Path: '/' }),
  ]);
}

/** The paths a refresh cookie planted for the refresh endpoint can have and still be sent to it. */
const plantablePaths = ['/', '/auth', refreshPath] as const;

/**
 * Clears refresh cookies a sibling may have planted: for each parent domain of the host the
 * browser asked (a sibling can set `Domain=` any of them, never our host-only cookie) and each
 * path that reaches the refresh endpoint. A browser ignores the clears for domains it would not
 * let this host set (public suffixes), so listing every parent is harmless.
 */
export function clearPlantedRefreshCookies(reply: FastifyReply, hostname: string): void {
  if (isIP(hostname) !== 0 || !hostname.includes('.')) return;
  const labels = hostname.split('.');
  const domains = labels.slice(1, -1).map((_, i) => labels.slice(i + 1).join('.'));
  reply.header(
    'set-cookie',
    domains.flatMap((domain) =>
      plantablePaths.map((path) =>
        cookie(refreshCookieName, '', {
          Secure: true,
          HttpOnly: true,
          Domain: domain,
          Path: path,
          'Max-Age': '0',
        }),
      ),
    ),
  );
}
