import type { FastifyReply } from 'fastify';
import { escapeHtml, sendHtmlPage } from '../platform/http/html-page.ts';

/**
 * The service's own pages for the authorization endpoint: the sign-in form and the error page,
 * in the frame and with the headers every service page has (platform/http/html-page.ts): no
 * script, never framed (clickjacking a password form), never stored, never sending the URL
 * (which holds the authorization request) onwards. Every interpolated value is escaped.
 */

const signInStyle = `
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #9aa1ad;border-radius:4px}
.client{color:#525a68}
`;

export interface SignInForm {
  /** The pending authorization's handle. */
  readonly request: string;
  /** The double-submit CSRF value bound to it. */
  readonly csrf: string;
  readonly clientName: string;
  readonly redirectUri: string;
  readonly email: string;
  readonly message: string | undefined;
}

export const signInFormPath = '/oauth/authorize/sign-in';

export function sendSignInPage(reply: FastifyReply, status: number, form: SignInForm) {
  const message =
    form.message === undefined
      ? ''
      : `<p class="error" role="alert">${escapeHtml(form.message)}</p>`;
  return sendHtmlPage(reply, {
    status,
    title: 'Sign in',
    style: signInStyle,
    body:
      `<h1>Sign in</h1><p class="client">to continue to ${escapeHtml(form.clientName)}</p>${message}` +
      `<form method="post" action="${signInFormPath}">` +
      `<input type="hidden" name="request" value="${escapeHtml(form.request)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">` +
      `<label for="email">Email</label>` +
      `<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${escapeHtml(form.email)}">` +
      `<label for="password">Password</label>` +
      `<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">` +
      `<button type="submit">Sign in</button></form>`,
    formRedirectUri: form.redirectUri,
  });
}

export function sendErrorPage(reply: FastifyReply, status: number, message: string) {
  return sendHtmlPage(reply, {
    status,
    title: 'Cannot sign in',
    body: `<h1>Cannot sign in</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  });
}
