import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';

/**
 * The service's own pages for the authorization endpoint: the sign-in form and the error page.
 * Plain HTML with one inline stylesheet allowed by a per-answer nonce, no script at all, no
 * external asset; never framed (`frame-ancestors 'none'`: clickjacking a password form), never
 * stored by a cache, never sending the URL (which holds the authorization request) onwards.
 * Every interpolated value is escaped.
 */

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

const style = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin:0 0 1rem}
label{display:block;margin:.75rem 0 .25rem;font-weight:600}
input{box-sizing:border-box;width:100%;padding:.5rem;font:inherit;border:1px solid #9aa1ad;border-radius:4px}
button{margin-top:1.25rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#2456c9;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;padding:.5rem .75rem;border-radius:4px}
.client{color:#525a68}
`;

/** The source a form may post to and be redirected from: 'self' and the client's redirect. */
function formActionSources(redirectUri: string | undefined): string {
  if (redirectUri === undefined) return "'self'";
  const url = new URL(redirectUri);
  // Chromium applies form-action to the redirect after the post, so the client's origin (or,
  // for a native app's private-use scheme, its scheme) must be allowed too.
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
  return sendPage(
    reply,
    status,
    'Sign in',
    `<h1>Sign in</h1><p class="client">to continue to ${escapeHtml(form.clientName)}</p>${message}` +
      `<form method="post" action="${signInFormPath}">` +
      `<input type="hidden" name="request" value="${escapeHtml(form.request)}">` +
      `<input type="hidden" name="csrf" value="${escapeHtml(form.csrf)}">` +
      `<label for="email">Email</label>` +
      `<input id="email" name="email" type="email" autocomplete="username" required maxlength="254" value="${escapeHtml(form.email)}">` +
      `<label for="password">Password</label>` +
      `<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="1024">` +
      `<button type="submit">Sign in</button></form>`,
    form.redirectUri,
  );
}

export function sendErrorPage(reply: FastifyReply, status: number, message: string) {
  return sendPage(
    reply,
    status,
    'Cannot sign in',
    `<h1>Cannot sign in</h1><p class="error" role="alert">${escapeHtml(message)}</p>`,
  );
}
