/**
 * The one copy of Writ's rule for a URL that tokens, secrets or trusted keys travel to: https
 * anywhere, plain http only to a loopback host. Over plain http anywhere else, anyone on the path
 * can read a bearer token or client secret, or swap the key set a token is checked against.
 * Pure predicates: each package turns a refusal into its own error type and message.
 */

/** `127.0.0.0/8` as the URL parser writes it (it normalises `127.1` to `127.0.0.1`). */
const ipv4Loopback = /^127\.\d+\.\d+\.\d+$/;

/**
 * Whether a `URL#hostname` names this machine: `localhost`, `127.0.0.0/8` or `[::1]`. Takes the
 * parsed hostname, so case and IP spellings are already normalised.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || ipv4Loopback.test(hostname);
}

/**
 * https anywhere, plain http only to a loopback host, no other scheme (`ftp:`, `file:`,
 * `javascript:` name nothing a token can safely be sent to or keys fetched from).
 */
export function isHttpsOrLoopbackHttp(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHostname(url.hostname);
}

/** Why a service URL is refused, in the order the checks run. */
export type ServiceUrlFlaw = 'insecure_scheme' | 'carries_credentials';

/**
 * The whole rule for a URL a Writ component calls (an issuer, a key set, an introspection or
 * revocation endpoint): https or loopback http, and no `user:password@`, which would end up in
 * logs and error messages. Undefined when the URL is acceptable.
 */
export function serviceUrlFlaw(url: URL): ServiceUrlFlaw | undefined {
  if (!isHttpsOrLoopbackHttp(url)) return 'insecure_scheme';
  if (url.username !== '' || url.password !== '') return 'carries_credentials';
  return undefined;
}
