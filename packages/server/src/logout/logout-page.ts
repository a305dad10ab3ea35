import type { FastifyReply } from 'fastify';
import { escapeHtml, sendHtmlPage } from '../platform/http/html-page.ts';

/**
 * The service's own pages for logout: the confirmation asked when no valid `id_token_hint`
 * vouches for the request (logout CSRF), the signed-out page, and the error page, in the frame
 * and with the headers every service page has (platform/http/html-page.ts): no script, never
 * framed (a framed "Sign out" button is clickjacking), never cached, no referrer; every
 * interpolated value escaped.
 */

export const logoutConfirmPath = '/oauth/logout/confirm';

export interface LogoutConfirmation {
  readonly csrf: string;
  readonly clientId: string | undefined;
  readonly redirectUri: string | undefined;
  readonly state: string | undefined;
  /** The client's name when the request named one, so the user knows who asked. */
  readonly clientName: string | undefined;
}

function hidden(name: string, value: string | undefined): string {
  return value === undefined
    ? ''
    : `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`;
}

export function sendConfirmationPage(reply: FastifyReply, confirmation: LogoutConfirmation) {
  const asker =
    confirmation.clientName === undefined
      ? ''
      : `<p>${escapeHtml(confirmation.clientName)} asks to sign you out.</p>`;
  return sendHtmlPage(reply, {
    status: 200,
    title: 'Sign out',
    body:
      `<h1>Sign out?</h1>${asker}<p>You will be signed out of this service and of the applications you signed in to with it.</p>` +
      `<form method="post" action="${logoutConfirmPath}">` +
      hidden('csrf', confirmation.csrf) +
      hidden('client_id', confirmation.clientId) +
      hidden('post_logout_redirect_uri', confirmation.redirectUri) +
      hidden('state', confirmation.state) +
      `<button type="submit">Sign out</button></form>`,
    formRedirectUri: confirmation.redirectUri,
  });
}

export function sendSignedOutPage(reply: FastifyReply) {
  return sendHtmlPage(reply, {
    status: 200,
    title: 'Signed out',
    body: '<h1>You are signed out</h1><p>You can close this window.</p>',
  });
}

export function sendLogoutErrorPage(reply: FastifyReply, status: number, message: string) {
  return sendHtmlPage(reply, {
    status,
    title: 'Cannot sign out',
    body: `<h1>Cannot sign out</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  });
}
