/** Characters RFC 3986 §2.3 calls unreserved: percent-encoding them changes nothing. */
const unreserved = /[A-Za-z0-9\-._~]/;

/**
 * A URL as RFC 9449 §4.3 compares `htu`: without query and fragment, normalised per RFC 3986
 * §6.2.2 and §6.2.3 — scheme and host lower-cased and the default port dropped (the WHATWG URL
 * parser does both, and removes dot segments), percent-encodings upper-cased and those of
 * unreserved characters decoded. `undefined` for anything but an absolute http(s) URL.
 */
export function normaliseHtu(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '') return undefined;
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_match, hex: string) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return unreserved.test(char) ? char : `%${hex.toUpperCase()}`;
  });
  return `${url.protocol}//${url.host}${path}`;
}
