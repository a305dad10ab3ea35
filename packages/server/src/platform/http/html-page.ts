import { randomBytes } from 'node:crypto';
import type { FastifyReply } from 'fastify';
import { browserHardeningHeaders } from './security-headers.ts';

/**
 * The frame of the service's own HTML pages (the sign-in form, the logout confirmation, their
 * error pages): plain HTML with one inline stylesheet allowed by a per-answer nonce, no script
 * at all, no external asset. Each page carries its own complete set of headers rather than
 * relying on the app's hook: never framed (`frame-ancestors 'none'`: a framed password form or
 * "Sign out" button is clickjacking), never stored by a cache, never sending its URL (which may
 * hold an authorization request) onwards, never sniffed as another type.
 */

const escapes: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for an element's content or a double- or single-quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => escapes[character] ?? character);
}

const baseStyle = `
body{font:16px/1.5 system-ui,sans-serif;margin:0;background:#f4f5f7;color:#1d2330}
main{max-width:22rem;margin:10vh auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 3px #0002}
h1{font-size:1.25rem;margin:0 0 1rem}
button{margin-top:1.25rem;width:100%;padding:.6rem;font:inherit;font-weight:600;color:#fff;background:#2456c9;border:0;border-radius:4px;cursor:pointer}
.error{background:#fdecea;color:#8a1c12;padding:.5rem .75rem;border-radius:4px}
`;

/**
 * The sources a page's form may post to and be redirected from: 'self', and the origin the
 * post redirects to. Chromium applies form-action to the redirect after the post, so the
 * client's origin (or, for a native app's private-use scheme, its scheme) must be allowed too.
 * A source with characters a CSP source cannot hold is left out rather than escaped.
 */
export function formActionSources(redirectUri: string | undefined): string {
  if (redirectUri === undefined) return "'self'";
  const url = new URL(redirectUri);
  const source = url.origin === 'null' ? url.protocol : url.origin;
  return /^[A-Za-z0-9+.:/[\]-]+$/.test(source) ? `'self' ${source}` : "'self'";
}

/** The headers of one page answer, whose stylesheet carries `nonce`. */
export function htmlPageHeaders(
  nonce: string,
  formRedirectUri: string | undefined,
): Readonly<Record<string, string>> {
  return {
    ...browserHardeningHeaders,
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    pragma: 'no-cache',
    'content-security-policy': [
      "default-src 'none'",
      `style-src 'nonce-${nonce}'`,
      `form-action ${formActionSources(formRedirectUri)}`,
      "frame-ancestors 'none'",
      "base-uri 'none'",
    ].join('; '),
  };
}

export interface HtmlPage {
  readonly status: number;
  /** Plain text; escaped here. */
  readonly title: string;
  /** The markup inside `<main>`; every value interpolated into it already escaped. */
  readonly body: string;
  /** Rules added to the shared stylesheet (the page's own elements). */
  readonly style?: string;
  /** Where the page's form post may redirect to, allowed in `form-action` beside 'self'. */
  readonly formRedirectUri?: string | undefined;
}

export function sendHtmlPage(reply: FastifyReply, page: HtmlPage): FastifyReply {
  const nonce = randomBytes(16).toString('base64');
  return reply
    .code(page.status)
    .headers(htmlPageHeaders(nonce, page.formRedirectUri))
    .send(
      `<!doctype html><html lang="en"><head><meta charset="utf-8">` +
        `<meta name="viewport" content="width=device-width,initial-scale=1">` +
        `<meta name="robots" content="noindex">` +
        `<title>${escapeHtml(page.title)}</title>` +
        `<style nonce="${nonce}">${baseStyle}${page.style ?? ''}</style></head>` +
        `<body><main>${page.body}</main></body></html>`,
    );
}
