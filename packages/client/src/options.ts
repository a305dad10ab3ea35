import { serviceUrlFlaw } from '@writ/core';
import { createDpopProver, type DpopProver } from './dpop/create-dpop-prover.ts';
import { WritClientError } from './errors.ts';
import type { TokenStore } from './token-store.ts';

/** The `fetch` the client calls: the global one by default, or any compatible function. */
export type FetchLike = (input: RequestInfo | URL, init?: RequestInit) => Promise<Response>;

/**
 * How the session's tokens travel. `body`: the client holds them and sends `Authorization:
 * Bearer` (Node apps, native apps). `cookie`: the browser holds them in HttpOnly cookies the page
 * never sees (browser apps).
 *
 * Extension point: service-to-service `client_credentials` arrives with the OAuth endpoints as a
 * third mode here, with its own `SessionTransport` (see session-transport.ts). It needs no
 * sign-in and no refresh token; everything else (single-flight renewal, the 401 retry, origin
 * checks) is shared.
 */
export type ClientMode = 'body' | 'cookie';

/**
 * Why a session ended: `refresh_rejected` — the service refused to refresh it (signed out
 * elsewhere, revoked, expired, or its refresh token was reused); `signed_out` — `signOut()`.
 */
export type SessionEndReason = 'refresh_rejected' | 'signed_out';

export interface WritClientOptions {
  /** The token service's base URL (its `iss`): https, or plain http to a loopback host only. */
  readonly issuer: string;
  readonly mode: ClientMode;
  /** Defaults to the global `fetch`. */
  readonly fetch?: FetchLike;
  /** Refresh this many seconds before the access token expires: 5–300, default 30. */
  readonly refreshLeewaySec?: number;
  /** Called once when a live session ends; never receives a token. */
  readonly onSessionEnded?: (reason: SessionEndReason) => void;
  /** Body mode only: persists tokens across restarts of a Node app (never use it in a browser). */
  readonly tokenStore?: TokenStore;
  /**
   * Origins `client.fetch` may send credentials to, besides the issuer's. A request to any
   * other origin is refused before it is sent, so a mistyped or attacker-supplied URL never
   * receives a token or the CSRF value.
   */
  readonly allowedOrigins?: readonly string[];
  /**
   * Body mode only: prove possession of a key with every request (RFC 9449 DPoP), so a stolen
   * token is useless without it. `true` makes (or, in a browser, reloads from IndexedDB) a
   * non-extractable key named after the issuer; or pass a prover of your own. Sign-in and refresh
   * carry a proof; a session the service bound to the key (`token_type: DPoP`) is sent as
   * `Authorization: DPoP` with a proof per request. See docs/dpop.md.
   */
  readonly dpop?: boolean | DpopProver;
}

export interface ResolvedOptions {
  /** The issuer without a trailing slash: endpoints are `${issuer}/auth/…`. */
  readonly issuer: string;
  readonly mode: ClientMode;
  readonly fetch: FetchLike;
  readonly refreshLeewaySec: number;
  readonly onSessionEnded: (reason: SessionEndReason) => void;
  readonly tokenStore: TokenStore | undefined;
  readonly allowedOrigins: ReadonlySet<string>;
  /** The DPoP prover, made on first use; undefined without DPoP. */
  readonly dpop: (() => Promise<DpopProver>) | undefined;
}

function resolveDpop(value: unknown, mode: ClientMode, issuer: string): ResolvedOptions['dpop'] {
  if (value === undefined || value === false) return undefined;
  if (mode !== 'body') {
    fail(
      'dpop is for body mode: in cookie mode the tokens travel in cookies, which carry no proof',
    );
  }
  if (value !== true) {
    const given = value as Partial<DpopProver> | null;
    if (typeof given !== 'object' || given === null || typeof given.proof !== 'function') {
      fail('dpop must be true or a DPoP prover (createDpopProver)');
    }
    const prover = Promise.resolve(given as DpopProver);
    return () => prover;
  }
  let prover: Promise<DpopProver> | undefined;
  return () => {
    prover ??= createDpopProver({ name: `writ-client ${issuer}` }).catch((error: unknown) => {
      prover = undefined; // a later request may try again
      throw error;
    });
    return prover;
  };
}

const leewayBoundsSec = { min: 5, max: 300, fallback: 30 } as const;

function fail(problem: string): never {
  throw new WritClientError('invalid_configuration', { problem });
}

/**
 * https, or plain http to a loopback host: a bearer token or CSRF value sent over plain http
 * elsewhere can be read by anyone on the path.
 */
function secureUrl(value: unknown, name: string): URL {
  if (typeof value !== 'string') fail(`${name} must be a string`);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL`);
  }
  const flaw = serviceUrlFlaw(url);
  if (flaw === 'insecure_scheme') {
    fail(`${name} must use https (plain http only for loopback hosts)`);
  }
  if (flaw === 'carries_credentials') fail(`${name} must not carry credentials`);
  return url;
}

function resolveIssuer(value: unknown): URL {
  const url = secureUrl(value, 'issuer');
  if (url.search !== '' || url.hash !== '') fail('issuer must not have a query or fragment');
  return url;
}

function resolveLeeway(value: unknown): number {
  if (value === undefined) return leewayBoundsSec.fallback;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < leewayBoundsSec.min ||
    value > leewayBoundsSec.max
  ) {
    fail(`refreshLeewaySec must be a number from ${leewayBoundsSec.min} to ${leewayBoundsSec.max}`);
  }
  return value;
}

function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch !== 'function') fail('no global fetch: pass the fetch option');
  // Called through globalThis: browsers throw "Illegal invocation" for a detached fetch.
  return (input, init) => globalThis.fetch(input, init);
}

/** Validates every option once, at construction: a mistake surfaces at start-up, not per request. */
export function resolveOptions(options: WritClientOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const issuer = resolveIssuer(options.issuer);
  if (options.mode !== 'body' && options.mode !== 'cookie') {
    fail('mode must be "body" or "cookie"');
  }
  if (options.fetch !== undefined && typeof options.fetch !== 'function') {
    fail('fetch must be a function');
  }
  if (options.onSessionEnded !== undefined && typeof options.onSessionEnded !== 'function') {
    fail('onSessionEnded must be a function');
  }
  const store = options.tokenStore;
  if (store !== undefined) {
    if (options.mode !== 'body') {
      fail('tokenStore is for body mode only: in cookie mode the browser keeps the tokens');
    }
    if (
      typeof store.load !== 'function' ||
      typeof store.save !== 'function' ||
      typeof store.clear !== 'function'
    ) {
      fail('tokenStore must have load, save and clear functions');
    }
  }
  if (options.allowedOrigins !== undefined && !Array.isArray(options.allowedOrigins)) {
    fail('allowedOrigins must be a list of origins');
  }
  const allowedOrigins = new Set([issuer.origin]);
  for (const origin of options.allowedOrigins ?? []) {
    const url = secureUrl(origin, 'allowedOrigins');
    if (url.href !== `${url.origin}/`) fail('allowedOrigins must hold origins only (no path)');
    allowedOrigins.add(url.origin);
  }
  const onSessionEnded = options.onSessionEnded;
  return {
    issuer: issuer.href.replace(/\/$/, ''),
    mode: options.mode,
    fetch: options.fetch ?? defaultFetch(),
    refreshLeewaySec: resolveLeeway(options.refreshLeewaySec),
    onSessionEnded: (reason) => {
      // The app's handler must not break the client's bookkeeping; a browser still shows its
      // error in the console.
      try {
        onSessionEnded?.(reason);
      } catch (error) {
        if (typeof reportError === 'function') reportError(error);
      }
    },
    tokenStore: store,
    allowedOrigins,
    dpop: resolveDpop(options.dpop, options.mode, issuer.href.replace(/\/$/, '')),
  };
}
