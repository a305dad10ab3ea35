import { BlockList, isIP } from 'node:net';

/**
 * Addresses a back-channel logout is never sent to in production: this machine, private and
 * shared (CGNAT) networks, link-local (cloud metadata services live at 169.254.169.254),
 * multicast, broadcast and reserved, unspecified. A relying party on the internet has none of
 * them; a registered public name that resolves to one is a way into the service's own network.
 */
const nonPublic = new BlockList();
for (const [network, prefix] of [
  ['0.0.0.0', 8], // "this network", unspecified
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT (RFC 6598)
  ['127.0.0.0', 8],
  ['169.254.0.0', 16],
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF protocol assignments
  ['192.168.0.0', 16],
  ['198.18.0.0', 15], // benchmarking
  ['224.0.0.0', 4], // multicast
  ['240.0.0.0', 4], // reserved, and 255.255.255.255
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv4');
}
for (const [network, prefix] of [
  ['::', 96], // unspecified, loopback, IPv4-compatible (deprecated)
  ['64:ff9b::', 96], // NAT64: the IPv4 address it embeds could be any of the above
  ['fc00::', 7], // unique local
  ['fe80::', 10], // link-local
  ['fec0::', 10], // site-local (deprecated)
  ['ff00::', 8], // multicast
] as const) {
  nonPublic.addSubnet(network, prefix, 'ipv6');
}

const loopback = new BlockList();
loopback.addSubnet('127.0.0.0', 8, 'ipv4');
loopback.addAddress('::1', 'ipv6');

/** The IPv4 address an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, also as hex) stands for. */
function mappedIpv4(address: string): string | undefined {
  const lower = address.toLowerCase();
  const dotted = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  if (dotted !== undefined) return isIP(dotted) === 4 ? dotted : undefined;
  const hex = /^(?:0{0,4}:){0,5}:?ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex === null) return undefined;
  const high = Number.parseInt(hex[1] ?? '', 16);
  const low = Number.parseInt(hex[2] ?? '', 16);
  return `${high >> 8}.${high & 255}.${low >> 8}.${low & 255}`;
}

/**
 * Whether the service may connect to `address` (a literal IP, as a resolver returns it) to
 * deliver a logout token: any public address; loopback too when `allowLoopback` (development
 * mode: a relying party on the developer's machine). Anything not a literal IP is refused.
 */
export function isDeliverableAddress(address: string, allowLoopback: boolean): boolean {
  const version = isIP(address);
  if (version === 0) return false;
  const mapped = version === 6 ? mappedIpv4(address) : undefined;
  const checked = mapped ?? address;
  const family = mapped !== undefined || version === 4 ? 'ipv4' : 'ipv6';
  if (allowLoopback && loopback.check(checked, family)) return true;
  return !nonPublic.check(checked, family);
}
