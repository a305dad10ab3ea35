/**
 * Redirects and credentials. `fetch` follows redirects by default and, across origins, drops
 * only `Authorization` (and only where the platform follows the current Fetch standard): a custom
 * header such as `X-CSRF-Token` travels on to wherever the `Location` points. So the client never
 * lets the platform follow a redirect for a request it added credentials to.
 */

const redirectStatuses: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);

/** Fetch's own limit (WHATWG Fetch, "HTTP-redirect fetch", step 5). */
export const maxRedirects = 20;

/**
 * Whether `response` is a redirect that was not followed: a 3xx with `redirect: 'manual'` in
 * Node, or a browser's `opaqueredirect` (status 0, no readable `Location`).
 */
export function isRedirect(response: Response): boolean {
  return response.type === 'opaqueredirect' || redirectStatuses.has(response.status);
}

/** Headers that describe a body, dropped when a redirect turns the request into a GET. */
const bodyHeaders = ['content-type', 'content-length', 'content-encoding', 'content-language'];

export interface RedirectHop {
  readonly url: URL;
  readonly method: string;
  /** Whether the request's body goes along (307 and 308 keep it; the others turn it into a GET). */
  readonly keepsBody: boolean;
}

/**
 * Where a redirect `response` to a `method` request at `from` leads, by the Fetch standard's
 * rules, or undefined when it cannot be followed here (a browser's opaque redirect, no usable
 * `Location`, or a scheme other than http(s)).
 */
export function redirectHop(
  response: Response,
  from: string,
  method: string,
): RedirectHop | undefined {
  if (response.type === 'opaqueredirect') return undefined;
  const location = response.headers.get('location');
  if (location === null) return undefined;
  let url: URL;
  try {
    url = new URL(location, from);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  const becomesGet =
    (response.status === 303 && method !== 'HEAD') ||
    ((response.status === 301 || response.status === 302) && method === 'POST');
  return becomesGet ? { url, method: 'GET', keepsBody: false } : { url, method, keepsBody: true };
}

/** The headers of the next request when a hop turns it into a GET without a body. */
export function withoutBodyHeaders(headers: Headers): Headers {
  const next = new Headers(headers);
  for (const name of bodyHeaders) next.delete(name);
  return next;
}
