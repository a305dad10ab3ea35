import { serviceUrlFlaw } from '@writ/core';

/**
 * Parses a URL inspect may fetch keys or metadata from: https, or plain http to a loopback host
 * (anything else lets the network swap the keys the token is checked against), no credentials.
 * Returns the URL, or why it is refused; the rule is `@writ/core`'s, as for `@writ/verify`'s `jwksUri`.
 */
export function parseRemoteUrl(value: string, name: string): URL | string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `${name} must be an absolute URL`;
  }
  const flaw = serviceUrlFlaw(url);
  if (flaw === 'insecure_scheme') {
    return `${name} must use https (plain http is allowed only for loopback hosts)`;
  }
  if (flaw === 'carries_credentials') return `${name} must not carry credentials`;
  return url;
}

/** Whether an option value names a URL rather than a file. */
export function looksLikeUrl(value: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(value);
}
