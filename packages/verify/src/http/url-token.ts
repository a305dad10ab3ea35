/** A JWS/JWE header segment (`{"` encodes to `eyJ`) followed by at least one more dotted segment. */
const jwtShape = /eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*\./;

function decode(component: string): string {
  try {
    return decodeURIComponent(component.replace(/\+/g, ' '));
  } catch {
    return component;
  }
}

/**
 * True when the request URL carries something that looks like a token: an `access_token`
 * parameter (RFC 6750 §2.3) or any JWT-shaped name or value. Tokens in URLs end up in logs,
 * browser history and `Referer` headers, so such requests are refused outright.
 */
export function urlCarriesToken(url: string): boolean {
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return false;
  const query = url.slice(queryStart + 1);
  if (query === '') return false;
  for (const pair of query.split('&')) {
    const separator = pair.indexOf('=');
    const name = decode(separator === -1 ? pair : pair.slice(0, separator));
    if (name.toLowerCase() === 'access_token') return true;
    if (jwtShape.test(name)) return true;
    if (separator !== -1 && jwtShape.test(decode(pair.slice(separator + 1)))) return true;
  }
  return false;
}
