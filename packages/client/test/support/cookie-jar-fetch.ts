import type { FetchLike } from '../../src/index.ts';

interface StoredCookie {
  readonly host: string;
  readonly path: string;
  readonly value: string;
}

export interface CookieJarFetch {
  /** A fetch that behaves like a browser's towards cookies: keeps them, sends them, hides them. */
  readonly fetch: FetchLike;
  /** name → value of every cookie held (for assertions only; a page could never read these). */
  values(): Record<string, string>;
}

/** RFC 6265 §5.1.4 path-match. */
function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/**
 * The browser's part of cookie mode, minimally, because Node's fetch keeps no cookies: stores
 * `Set-Cookie` (host-only, with Path and Max-Age), sends matching cookies back, and removes
 * `Set-Cookie` from the response the client sees — a page script never sees it either.
 *
 * The service's cookies are `Secure`, yet the jar sends them to http://127.0.0.1: browsers treat
 * loopback origins (localhost, 127.0.0.1) as secure contexts and do the same, which is what makes
 * local development without TLS work.
 */
export function cookieJarFetch(
  inner: FetchLike = (input, init) => fetch(input, init),
): CookieJarFetch {
  const jar = new Map<string, StoredCookie>();

  const store = (host: string, line: string) => {
    const [pair = '', ...attributes] = line.split(';').map((part) => part.trim());
    const separator = pair.indexOf('=');
    if (separator <= 0) return;
    const name = pair.slice(0, separator);
    const value = pair.slice(separator + 1);
    let path = '/';
    let expired = false;
    for (const attribute of attributes) {
      const [key = '', attributeValue = ''] = attribute.split('=');
      if (key.toLowerCase() === 'path') path = attributeValue;
      if (key.toLowerCase() === 'max-age' && Number(attributeValue) <= 0) expired = true;
    }
    if (expired) jar.delete(name);
    else jar.set(name, { host, path, value });
  };

  const wrapped: FetchLike = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    const url = new URL(request?.url ?? String(input));
    const headers = new Headers(init?.headers ?? request?.headers);
    if (init?.credentials !== 'omit') {
      const cookie = [...jar]
        .filter(([, c]) => c.host === url.host && pathMatches(url.pathname, c.path))
        .map(([name, c]) => `${name}=${c.value}`)
        .join('; ');
      if (cookie !== '') headers.set('cookie', cookie);
    }
    const response = await inner(input, { ...init, headers });
    for (const line of response.headers.getSetCookie()) store(url.host, line);
    const visible = new Headers(response.headers);
    visible.delete('set-cookie');
    return new Response(response.body, {
      status: response.status,
      statusText: response.statusText,
      headers: visible,
    });
  };

  return {
    fetch: wrapped,
    values: () => Object.fromEntries([...jar].map(([name, c]) => [name, c.value])),
  };
}
