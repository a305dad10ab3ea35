import { isLoopbackHostname } from '@writ/core';

/**
 * The https-or-loopback rule is `@writ/core`'s (one copy for the server, verifier, client and
 * inspect): plain http only to a loopback host, where a token or key set on the wire cannot be
 * read or replaced by the network. Re-exported under the names the server's modules use.
 */
export { isHttpsOrLoopbackHttp as isHttpsOrLoopbackUrl, isLoopbackHostname } from '@writ/core';

/** A listen address as it appears in a URL's host: IPv6 literals in brackets. */
export function urlHostOf(listenHost: string): string {
  return listenHost.includes(':') ? `[${listenHost}]` : listenHost;
}

/**
 * Whether a listen address accepts connections from this machine only. The unspecified
 * addresses (`0.0.0.0`, `::`) listen on every interface, so they are not.
 */
export function isLoopbackListenHost(listenHost: string): boolean {
  return isLoopbackHostname(urlHostOf(listenHost)) || listenHost === '::ffff:127.0.0.1';
}
