const loopbackHosts: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Parses a URL inspect may fetch keys or metadata from: https, or plain http to a loopback host
 * (anything else lets the network swap the keys the token is checked against), no credentials.
 * Returns the URL, or why it is refused; the same rule `@writ/verify` applies to `jwksUri`.
 */
export function parseRemoteUrl(value: string, name: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} must be an absolute URL`;
  }
  const loopback = loopbackHosts.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    return `${name} must use https (plain http is allowed only for loopback hosts)`;
  }
  if (url.username !== '' || url.password !== '') return `${name} must not carry credentials`;
  return url;
}

/** Whether an option value names a URL rather than a file. */
export function looksLikeUrl(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value);
}
