import { promises as dns, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isDeliverableAddress } from './outbound-address.ts';

/** Why a delivery failed: stable codes for the outbox's `last_error`, never a body or a token. */
export type DeliveryFailure =
  | 'timeout'
  | 'network'
  | 'redirect'
  | `http_${number}`
  /** The host resolved to an address the service does not call (private, loopback, …). */
  | 'address_not_allowed'
  /** The service could not sign the token (its own fault, reported to the operator's log). */
  | 'signing_failed';

export type DeliveryOutcome =
  | { readonly ok: true }
  | { readonly ok: false; readonly failure: DeliveryFailure };

/** Resolves a host name to its addresses (`dns.promises.lookup` with `all: true` by default). */
export type ResolveHost = (hostname: string) => Promise<readonly LookupAddress[]>;

export const resolveWithSystem: ResolveHost = (hostname) =>
  dns.lookup(hostname, { all: true, verbatim: true });

export interface DeliveryPolicy {
  /**
   * Refuse addresses inside the service's own networks (outbound-address.ts). Off for URIs the
   * operator registered; the connection is pinned to the resolved address either way.
   */
  readonly checkAddresses: boolean;
  /** Development mode also calls loopback addresses (a relying party on this machine). */
  readonly allowLoopback: boolean;
  /** Injected by tests; the system resolver otherwise. */
  readonly resolve?: ResolveHost;
}

/**
 * A `lookup` for the request that answers with the one address already checked, so the
 * connection goes where the check looked and no second resolution (which a hostile DNS server
 * could answer differently: rebinding) happens.
 */
function pinnedLookup(checked: LookupAddress): LookupFunction {
  return (_hostname, options, callback) => {
    if (options.all === true) callback(null, [checked]);
    else callback(null, checked.address, checked.family);
  };
}

/**
 * POSTs `logout_token=…` form-encoded to a relying party's back-channel logout URI (§2.5).
 * The host is resolved first and, when `policy.checkAddresses` (a dynamically registered
 * client's URI), every address it resolves to must be deliverable
 * (outbound-address.ts: no private, loopback, link-local, CGNAT, multicast or unspecified
 * address, nor IPv4-mapped forms of them; loopback allowed in development mode), else nothing
 * is sent (`address_not_allowed`); the connection then goes to the first of those checked
 * addresses, never to a second answer. TLS still verifies the certificate for the host name.
 * 2xx is success (§2.8 says 200; some frameworks answer 204). A redirect is never followed: the
 * URI the client registered is the only one ever called, and a 3xx from it is a failure. The
 * body is never read (the spec gives it nothing we act on), so a relying party cannot make the
 * service download anything. Bounded in time as a whole (resolve, connect, headers).
 */
export async function postLogoutToken(
  uri: string,
  logoutToken: string,
  timeoutMs: number,
  policy: DeliveryPolicy,
): Promise<DeliveryOutcome> {
  const signal = AbortSignal.timeout(timeoutMs);
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return { ok: false, failure: 'network' };
  }
  const hostname = url.hostname.replace(/^\[(.*)\]$/, '$1');
  let addresses: readonly LookupAddress[];
  try {
    const literal = isIP(hostname);
    addresses =
      literal !== 0
        ? [{ address: hostname, family: literal }]
        : await abortable((policy.resolve ?? resolveWithSystem)(hostname), signal);
  } catch (error) {
    return { ok: false, failure: isTimeout(error) ? 'timeout' : 'network' };
  }
  const first = addresses[0];
  if (first === undefined) return { ok: false, failure: 'network' };
  if (
    policy.checkAddresses &&
    !addresses.every((entry) => isDeliverableAddress(entry.address, policy.allowLoopback))
  )
    return { ok: false, failure: 'address_not_allowed' };

  const body = new URLSearchParams({ logout_token: logoutToken }).toString();
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  let status: number;
  try {
    status = await new Promise<number>((resolve, reject) => {
      const outgoing = send(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        },
        lookup: pinnedLookup(first),
        signal,
        agent: false,
      });
      outgoing.on('response', (response: IncomingMessage) => {
        resolve(response.statusCode ?? 0);
        response.destroy();
      });
      outgoing.on('error', reject);
      outgoing.end(body);
    });
  } catch (error) {
    return { ok: false, failure: isTimeout(error) ? 'timeout' : 'network' };
  }
  if (status >= 200 && status < 300) return { ok: true };
  if (status >= 300 && status < 400) return { ok: false, failure: 'redirect' };
  return { ok: false, failure: `http_${status}` };
}

function isTimeout(error: unknown): boolean {
  const name = error instanceof Error ? error.name : '';
  return name === 'TimeoutError' || name === 'AbortError';
}

function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
