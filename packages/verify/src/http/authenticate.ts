import {
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  isScopeToken,
} from '@writ/core';
import { cachedVerification, type VerifiedToken, type Verifier } from '../create-verifier.ts';
import { cookieValues, defaultAccessCookieName } from './cookies.ts';
import { csrfMatches } from './csrf.ts';
import { urlCarriesToken } from './url-token.ts';

/** Options shared by every HTTP adapter. */
export interface AuthenticateOptions {
  /** Scopes the protected routes require. */
  readonly requiredScopes?: readonly string[];
  /** `realm` for the `WWW-Authenticate` challenge. */
  readonly realm?: string;
  /**
   * Cookie mode, for browser apps signed in through the token service's cookie mode: the token
   * may also come from this HttpOnly cookie, and then every state-changing request (anything
   * but GET, HEAD, OPTIONS) must carry the session's CSRF value in `X-CSRF-Token`. A token in
   * `Authorization` needs no CSRF value: a browser never attaches it on its own.
   */
  readonly cookie?: { readonly name?: string };
}

/** The parts of a request the adapters read: nothing else of it is touched or logged. */
export interface BearerRequest {
  readonly method: string;
  /** Path and query as received. */
  readonly url: string;
  /** Every `Authorization` header value received (normally one). */
  readonly authorization: readonly string[];
  /** Every `Cookie` header value (cookie mode only). */
  readonly cookie: readonly string[];
  /** Every `X-CSRF-Token` header value (cookie mode only). */
  readonly csrfToken: readonly string[];
}

export interface AuthenticationFailure {
  readonly status: 400 | 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type AuthenticationOutcome =
  | { readonly ok: true; readonly token: VerifiedToken }
  | { readonly ok: false; readonly failure: AuthenticationFailure };

interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly rawHeaders: readonly string[];
}

/**
 * Reads what the authenticator needs from a node:http request (node, Fastify, Express), in one
 * pass over the raw header list: it keeps repeated fields (which `headers` would silently drop)
 * and works for requests simulated by Fastify's `inject` too. Names are compared by length
 * first, so most headers are passed over without being lower-cased.
 */
export function bearerRequestFrom(request: NodeRequestLike, url: string): BearerRequest {
  // Most requests carry one Authorization header and no cookie or CSRF header: the shared empty
  // list stands in until a second value turns up, so the common request allocates one array.
  let authorization: string[] = none;
  let cookie: string[] = none;
  let csrfToken: string[] = none;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    const length = name.length;
    if (length !== 13 && length !== 6 && length !== 12) continue;
    const value = raw[i + 1] ?? '';
    const lower = name.toLowerCase();
    if (lower === 'authorization') authorization = appended(authorization, value);
    else if (lower === 'cookie') cookie = appended(cookie, value);
    else if (lower === 'x-csrf-token') csrfToken = appended(csrfToken, value);
  }
  return { method: request.method ?? 'GET', url, authorization, cookie, csrfToken };
}

const none: string[] = Object.freeze([]) as unknown as string[];

function appended(list: string[], value: string): string[] {
  if (list === none) return [value];
  list.push(value);
  return list;
}

const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Whether an `Authorization` value uses the Bearer scheme (case-insensitive, RFC 7235 §2.1). */
function isBearer(value: string): boolean {
  if (value.length < 6) return false;
  if (value.length > 6 && value.charCodeAt(6) !== 0x20) return false;
  const scheme = value.length === 6 ? value : value.slice(0, 6);
  return scheme === 'Bearer' || scheme.toLowerCase() === 'bearer';
}

/**
 * The credential of a Bearer `Authorization` value: what follows the scheme and its spaces, less
 * trailing spaces. Its characters are not checked here: the verifier accepts only canonical
 * base64url segments, so anything else is refused there with the same answer as any bad token,
 * and a cache hit is an exact match of a string that passed that check before.
 */
function bearerCredential(value: string): string | undefined {
  let start = 7;
  while (value.charCodeAt(start) === 0x20) start++;
  let end = value.length;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  return end > start ? value.slice(start, end) : undefined;
}
const quotedStringSafe = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function challenge(realm: string | undefined, params: string): string {
  const parts = realm === undefined ? [] : [`realm="${realm}"`];
  if (params !== '') parts.push(params);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

function failure(
  status: AuthenticationFailure['status'],
  wwwAuthenticate: string,
  body: Record<string, string>,
): AuthenticationOutcome {
  return {
    ok: false,
    failure: {
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'www-authenticate': wwwAuthenticate,
      },
      body: JSON.stringify(body),
    },
  };
}

/**
 * The request-level half of every adapter: refuses tokens in URLs, reads exactly one bearer token
 * from `Authorization`, verifies it, and builds the RFC 6750 answer. Every invalid token gets a
 * byte-identical 401, whatever the reason.
 */
export function createAuthenticator(
  verifier: Verifier,
  options: AuthenticateOptions = {},
): (request: BearerRequest) => AuthenticationOutcome | Promise<AuthenticationOutcome> {
  const { realm } = options;
  if (realm !== undefined && !quotedStringSafe.test(realm)) {
    throw new ConfigurationError('realm must be printable ASCII without quotes or backslashes');
  }
  if (options.requiredScopes !== undefined && !options.requiredScopes.every(isScopeToken)) {
    throw new ConfigurationError('requiredScopes must be scope tokens (RFC 6749 §3.3)');
  }
  const context =
    options.requiredScopes === undefined ? undefined : { requiredScopes: options.requiredScopes };
  const invalidRequest = failure(400, challenge(realm, 'error="invalid_request"'), {
    error: 'invalid_request',
  });
  const noToken = failure(401, challenge(realm, ''), { error: 'unauthorized' });
  const invalidToken = failure(401, challenge(realm, 'error="invalid_token"'), {
    error: 'invalid_token',
  });
  const csrfRefused = failure(403, challenge(realm, 'error="invalid_request"'), {
    error: 'csrf_token_mismatch',
  });
  const cookieName =
    options.cookie === undefined ? undefined : (options.cookie.name ?? defaultAccessCookieName);
  if (cookieName !== undefined && !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/.test(cookieName)) {
    throw new ConfigurationError('cookie.name must be a cookie-name token (RFC 6265)');
  }

  type TokenSource = 'header' | 'cookie-safe' | { readonly csrfToken: readonly string[] };

  /**
   * `source` says where the token came from: a header, or a cookie on a safe or unsafe request.
   * A token from a cookie must be a cookie-mode token (it carries a `csrf` claim), and an unsafe
   * request must prove it came from the app's own page by echoing the CSRF value bound into it.
   */
  const accepted = (verified: VerifiedToken, source: TokenSource): AuthenticationOutcome => {
    if (source !== 'header') {
      const claim = verified.claims.csrf;
      if (typeof claim !== 'string') return invalidToken;
      if (source !== 'cookie-safe') {
        const [presented, ...extra] = source.csrfToken;
        if (presented === undefined || extra.length > 0 || !csrfMatches(presented, claim)) {
          return csrfRefused;
        }
      }
    }
    return { ok: true, token: verified };
  };

  const refused = (error: unknown): AuthenticationOutcome => {
    if (error instanceof InsufficientScopeError) {
      const scope = error.requiredScopes.join(' ');
      return failure(403, challenge(realm, `error="insufficient_scope", scope="${scope}"`), {
        error: 'insufficient_scope',
        scope,
      });
    }
    if (error instanceof InvalidTokenError) return invalidToken;
    throw error;
  };

  const fromCache = cachedVerification(verifier);

  /** Synchronous when the token was verified before (most requests), a promise otherwise. */
  const verifyToken = (
    token: string,
    source: TokenSource,
  ): AuthenticationOutcome | Promise<AuthenticationOutcome> => {
    let hit: VerifiedToken | undefined;
    try {
      hit = fromCache?.(token, context);
    } catch (error) {
      return refused(error);
    }
    if (hit !== undefined) return accepted(hit, source);
    return verifier.verify(token, context).then((verified) => accepted(verified, source), refused);
  };

  return (request) => {
    if (urlCarriesToken(request.url)) return invalidRequest;
    const bearerValue = request.authorization.find(isBearer);
    if (bearerValue === undefined) {
      if (cookieName === undefined) return noToken;
      const [fromCookie, ...extra] = cookieValues(request.cookie, cookieName);
      if (fromCookie === undefined) return noToken;
      if (extra.length > 0) return invalidToken;
      return verifyToken(
        fromCookie,
        safeMethods.has(request.method.toUpperCase())
          ? 'cookie-safe'
          : { csrfToken: request.csrfToken },
      );
    }
    if (request.authorization.length > 1) return invalidRequest;
    const credential = bearerCredential(bearerValue);
    if (credential === undefined) return invalidToken;
    return verifyToken(credential, 'header');
  };
}

/**
 * Authenticates `request` and runs `finish` with the outcome as soon as it is known — at once for
 * a token verified before, after the promise otherwise — and hands anything thrown to `fail`. For
 * adapters whose frameworks take callbacks (Fastify hooks, Express middleware).
 */
export function settle(
  authenticate: (request: BearerRequest) => AuthenticationOutcome | Promise<AuthenticationOutcome>,
  request: BearerRequest,
  finish: (outcome: AuthenticationOutcome) => void,
  fail: (error: Error) => void,
): void {
  let outcome: AuthenticationOutcome | Promise<AuthenticationOutcome>;
  try {
    outcome = authenticate(request);
  } catch (error) {
    fail(error as Error);
    return;
  }
  if (outcome instanceof Promise) outcome.then(finish, fail);
  else finish(outcome);
}
