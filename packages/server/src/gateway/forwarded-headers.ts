/**
 * Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, not the message, so a proxy
 * never forwards them. `proxy-connection` is the pre-standard spelling some clients still send;
 * `expect` is answered by the gateway itself (node:http sends the 100 Continue); `host` is set for
 * the upstream.
 */
const hopByHop: ReadonlySet<string> = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'expect',
  'host',
]);

/**
 * What a client says about where the request came from. The gateway is the edge: it drops every
 * such field the client sent (anyone can write `X-Forwarded-For: 10.0.0.1`) and states what it
 * saw itself, so the upstream can trust these fields exactly as far as it trusts the gateway.
 */
const clientForwarding: ReadonlySet<string> = new Set([
  'forwarded',
  'x-forwarded-for',
  'x-forwarded-host',
  'x-forwarded-proto',
  'x-forwarded-port',
  'x-forwarded-prefix',
  'x-real-ip',
]);

/** Field names listed in `Connection` (RFC 9110 §7.6.1): hop-by-hop for this message too. */
function connectionOptions(raw: readonly string[]): Set<string> {
  const named = new Set<string>();
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() !== 'connection') continue;
    for (const token of (raw[i + 1] ?? '').split(',')) {
      const name = token.trim().toLowerCase();
      if (name !== '') named.add(name);
    }
  }
  return named;
}

/** `raw` (node's flat rawHeaders list) without hop-by-hop fields and those in `drop`. */
function endToEnd(raw: readonly string[], drop: ReadonlySet<string>): string[] {
  const named = connectionOptions(raw);
  const kept: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const lower = name.toLowerCase();
    if (hopByHop.has(lower) || named.has(lower) || drop.has(lower)) continue;
    kept.push(name, raw[i + 1] ?? '');
  }
  return kept;
}

export interface ForwardingFacts {
  /** The upstream's `host[:port]`. */
  readonly upstreamHost: string;
  /** The client's address as the gateway's socket saw it. */
  readonly clientAddress: string | undefined;
  /** The `Host` the client sent, when it sent exactly one. */
  readonly clientHost: string | undefined;
  /** How the client reached the gateway. */
  readonly proto: 'http' | 'https';
}

/**
 * The header list sent upstream: the client's end-to-end fields, repeated ones kept in order (the
 * `Authorization` already replaced by the exchange), then `Host` for the upstream and the
 * gateway's own `X-Forwarded-For/-Host/-Proto`.
 */
export function upstreamRequestHeaders(raw: readonly string[], facts: ForwardingFacts): string[] {
  const headers = endToEnd(raw, clientForwarding);
  headers.push('Host', facts.upstreamHost);
  if (facts.clientAddress !== undefined) headers.push('X-Forwarded-For', facts.clientAddress);
  if (facts.clientHost !== undefined) headers.push('X-Forwarded-Host', facts.clientHost);
  headers.push('X-Forwarded-Proto', facts.proto);
  return headers;
}

const noDrop: ReadonlySet<string> = new Set();

/** The upstream answer's end-to-end fields, repeated ones (`Set-Cookie`) kept. */
export function clientResponseHeaders(raw: readonly string[]): string[] {
  return endToEnd(raw, noDrop);
}

/** The one `Host` value of a request, or `undefined` when there is none or several. */
export function singleHost(raw: readonly string[]): string | undefined {
  let host: string | undefined;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() !== 'host') continue;
    if (host !== undefined) return undefined;
    host = raw[i + 1];
  }
  return host;
}
