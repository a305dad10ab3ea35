/** The default name of the access-token cookie the token service sets in cookie mode. */
export const defaultAccessCookieName = '__Host-writ-access';

/**
 * Every value of cookie `name` across the request's `Cookie` headers. More than one value means
 * someone planted a second cookie of that name (cookie tossing from a sibling subdomain); the
 * caller refuses the request rather than guess which is real.
 */
export function cookieValues(cookieHeaders: readonly string[], name: string): string[] {
  const values: string[] = [];
  for (const header of cookieHeaders) {
    for (const pair of header.split(';')) {
      const separator = pair.indexOf('=');
      if (separator === -1) continue;
      if (pair.slice(0, separator).trim() === name) values.push(pair.slice(separator + 1).trim());
    }
  }
  return values;
}
