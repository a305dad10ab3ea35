/**
 * The loopback half of the https-or-loopback rule: plain http is acceptable only to a loopback
 * host (anywhere else a token or key set on the wire can be read or replaced). The one copy in
 * `@writ/server`; `@writ/verify` and `@writ/client` keep theirs in their options, since they
 * cannot depend on the server.
 */
export function isLoopbackHostname(hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname);
}
