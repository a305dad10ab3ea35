/**
 * The loopback half of the https-or-loopback rule: plain http is acceptable only to a loopback
 * host (anywhere else a token or key set on the wire can be read or replaced). The one copy in
 * `@writ/server`; `@writ/verify` and `@writ/client` keep theirs in their options, since they
 * cannot depend on the server.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}

/**
 * The https-or-loopback rule itself: https anywhere, plain http only to a loopback host, and no
 * other scheme (`ftp:`, `javascript:`, `file:` name nothing a client can fetch tokens from).
 */
export function isHttpsOrLoopbackUrl(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.protocol === 'http:' && isLoopbackHostname(url.hostname);
}

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
