import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { escapeHtml } from '../authorize/sign-in-page.ts';

/**
 * The service's own pages for logout: the confirmation asked when no valid `id_token_hint`
 * vouches for the request (logout CSRF), the signed-out page, and the error page. The same rules
 * as the sign-in page (authorize/sign-in-page.ts): no script at all, one inline stylesheet
 * allowed by a per-answer nonce, never framed (a framed "Sign out" button is clickjacking), never
 * cached, no referrer; every interpolated value escaped.
 */

const style = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin:0 0 1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#2456c9;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;padding:.5rem .75rem;border-radius:4px}
`;

/** `form-action` sources: 'self', and the origin the confirmed logout redirects to (Chromium checks it). */
function formActionSources(redirectUri: string | undefined): string {
  if (redirectUri === undefined) return "'self'";
  const url = new URL(redirectUri);
  const source = url.origin === 'null' ? url.protocol : url.origin;
  return /^[A-Za-z0-9+.:/[\]-]+$/.test(source) ? `'self' ${source}` : "'self'";
}

function sendPage(
  reply: FastifyReply,
  status: number,
  title: string,
  body: string,
  redirectUri?: string,
) {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .code(status)
    .headers({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      pragma: 'no-cache',
      'referrer-policy': 'no-referrer',
      'content-security-policy': [
        "default-src 'none'",
        `style-src 'nonce-${nonce}'`,
        `form-action ${formActionSources(redirectUri)}`,
        "frame-ancestors 'none'",
        "base-uri 'none'",
      ].join('; '),
    })
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex">` +
        `<title>${escapeHtml(title)}</title><style nonce="${nonce}">${style}</style></head>` +
        `<body><main>${body}</main></body></html>`,
    );
}

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
  return sendPage(
    reply,
    200,
    'Sign out',
    `<h1>Sign out?</h1>${asker}<p>You will be signed out of this service and of the applications you signed in to with it.</p>` +
      `<form method="post" action="${logoutConfirmPath}">` +
      hidden('csrf', confirmation.csrf) +
      hidden('client_id', confirmation.clientId) +
      hidden('post_logout_redirect_uri', confirmation.redirectUri) +
      hidden('state', confirmation.state) +
      `<button type="submit">Sign out</button></form>`,
    confirmation.redirectUri,
  );
}

export function sendSignedOutPage(reply: FastifyReply) {
  return sendPage(
    reply,
    200,
    'Signed out',
    '<h1>You are signed out</h1><p>You can close this window.</p>',
  );
}

export function sendLogoutErrorPage(reply: FastifyReply, status: number, message: string) {
  return sendPage(
    reply,
    status,
    'Cannot sign out',
    `<h1>Cannot sign out</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}
