import type { TrustedProxies } from '../config/config.ts';

/**
 * Fastify's `trustProxy` for the configured proxies, never `true`. A hop count is the function
 * proxy-addr builds for a number: the socket's peer is hop 0, the entry the nearest proxy
 * appended hop 1, and so on; the first hop not trusted is the client.
 */
export function fastifyTrustProxy(
  trusted: TrustedProxies,
): false | string[] | ((address: string, hop: number) => boolean) {
  switch (trusted.kind) {
    case 'none':
      return false;
    case 'hops':
      return (_address, hop) => hop < trusted.hops;
    case 'addresses':
      return [...trusted.addresses];
  }
}
