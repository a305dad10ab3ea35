import { BlockList, isIP } from 'node:net';

/** Address ranges that name this machine or a private network, never a relying party on the internet. */
const internal = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8],
  ['10.0.0.0', 8],
  ['100.64.0.0', 10],
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.168.0.0', 16],
] as const) {
  internal.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 127],
  ['fc00::', 7],
  ['fe80::', 10],
] as const) {
  internal.addSubnet(network, prefix, 'ipv6');
}

/**
 * Whether a URL the service itself will call (a back-channel logout endpoint) names a host
 * outside this machine and its private networks, by name or literal address. For clients
 * registered by outsiders (RFC 7591): without it, a registration would turn the service into a
 * proxy into localhost and the internal network (server-side request forgery). Names are not
 * resolved here; the sender re-checks the address it connects to.
 */
export function namesPublicHost(url: URL): boolean {
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) return false;
  const version = isIP(hostname);
  if (version === 0) return !hostname.endsWith('.internal') && !hostname.endsWith('.local');
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(hostname)?.[1];
  if (mapped !== undefined) return !internal.check(mapped, 'ipv4');
  return !internal.check(hostname, version === 4 ? 'ipv4' : 'ipv6');
}
