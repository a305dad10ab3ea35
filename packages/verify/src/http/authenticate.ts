import {
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  isScopeToken,
} from '@writ/core';
import { cachedVerification, type VerifiedToken, type Verifier } from '../create-verifier.ts';
import { DpopNonceRequiredError } from '../dpop/nonce-error.ts';
import type { TokenPresentation } from '../dpop/token-binding.ts';
import { type ResolvedDpop, verifierDpop } from '../dpop/verifier-options.ts';
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
  /**
   * This server's public origin as clients address it (`https://api.example.com`), for the URL a
   * DPoP proof's `htu` must name. Default: the request's `Host` header with `https` on a TLS
   * connection and `http` otherwise. Forwarded headers (`Forwarded`, `X-Forwarded-*`) are never
   * read, since any client can send them: behind a proxy that terminates TLS or rewrites the host,
   * set this.
   */
  readonly publicOrigin?: string;
  /**
   * Serve RFC 9728 protected-resource metadata at `/.well-known/oauth-protected-resource` (plus
   * the resource's path, §3.1), and point to it from every 401 (`resource_metadata`).
   */
  readonly resourceMetadata?: ResourceMetadataOptions;
}

/** What the RFC 9728 document says about this resource server. */
export interface ResourceMetadataOptions {
  /** The resource identifier (an https URL, normally the token's `aud`): `resource`. */
  readonly resource: string;
  /** Issuers of tokens this resource accepts: `authorization_servers`. */
  readonly authorizationServers: readonly string[];
  /** `scopes_supported`, if the resource wants to list them. */
  readonly scopesSupported?: readonly string[];
  /** `resource_name`, human-readable. */
  readonly resourceName?: string;
  /** `resource_documentation`: a URL of the resource's documentation for developers. */
  readonly resourceDocumentation?: string;
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
  /** Every `DPoP` header value (RFC 9449). */
  readonly dpop?: readonly string[];
  /** `scheme://host[:port]` as the request reached this server (see `publicOrigin`). */
  readonly origin?: string | undefined;
}

/**
 * An answer the adapter sends instead of running the route: a refusal, or (status 200) the
 * RFC 9728 metadata document.
 */
export interface AuthenticationFailure {
  readonly status: 200 | 400 | 401 | 403;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type AuthenticationOutcome =
  | {
      readonly ok: true;
      readonly token: VerifiedToken;
      /** Headers for the route's answer: `DPoP-Nonce` when nonces are on (RFC 9449 §8.2). */
      readonly headers?: Readonly<Record<string, string>>;
    }
  | { readonly ok: false; readonly failure: AuthenticationFailure };

interface NodeRequestLike {
  readonly method?: string | undefined;
  readonly rawHeaders: readonly string[];
  /** A TLS socket says `encrypted: true`. */
  readonly socket?: object | null;
}

/** A `Host` value that is a host and optional port, nothing else (no path, no userinfo). */
const hostShape = /^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::[0-9]{1,5})?$/;

/** The origin a request reached, from its `Host` and the connection: never from forwarded headers. */
function originOf(socket: object | null | undefined, host: readonly string[]): string | undefined {
  const [value, ...more] = host;
  if (value === undefined || more.length > 0 || !hostShape.test(value)) return undefined;
  const encrypted = socket != null && 'encrypted' in socket && socket.encrypted === true;
  return `${encrypted ? 'https' : 'http'}://${value}`;
}

/**
 * Reads what the authenticator needs from a node:http request (node, Fastify, Express), in one
 * pass over the raw header list: it keeps repeated fields (which `headers` would silently drop)
 * and works for requests simulated by Fastify's `inject` too. Names are compared by length
 * first, so most headers are passed over without being lower-cased. `readDpop: false` leaves
 * out what only DPoP uses (the `DPoP` header, and the origin from `Host`), for a verifier
 * without DPoP.
 */
export function bearerRequestFrom(
  request: NodeRequestLike,
  url: string,
  readDpop = true,
): BearerRequest {
  // Most requests carry one Authorization header and no cookie or CSRF header: the shared empty
  // list stands in until a second value turns up, so the common request allocates one array.
  let authorization: string[] = none;
  let cookie: string[] = none;
  let csrfToken: string[] = none;
  let dpop: string[] = none;
  let host: string[] = none;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = raw[i] ?? '';
    // By length first, then the usual spellings: a name is lower-cased (a new string) only when
    // it has the length of one of these and is spelled some other way.
    switch (name.length) {
      case 13:
        if (isNamed(name, 'authorization', 'Authorization')) {
          authorization = appended(authorization, raw[i + 1] ?? '');
        }
        break;
      case 6:
        if (isNamed(name, 'cookie', 'Cookie')) cookie = appended(cookie, raw[i + 1] ?? '');
        break;
      case 12:
        if (isNamed(name, 'x-csrf-token', 'X-CSRF-Token')) {
          csrfToken = appended(csrfToken, raw[i + 1] ?? '');
        }
        break;
      case 4:
        if (!readDpop) break;
        if (isNamed(name, 'dpop', 'DPoP')) dpop = appended(dpop, raw[i + 1] ?? '');
        else if (isNamed(name, 'host', 'Host')) host = appended(host, raw[i + 1] ?? '');
        break;
    }
  }
  return {
    method: request.method ?? 'GET',
    url,
    authorization,
    cookie,
    csrfToken,
    dpop,
    origin: readDpop ? originOf(request.socket, host) : undefined,
  };
}

/** Whether a field name is `lower`, compared case-insensitively (RFC 9110 §5.1). */
function isNamed(name: string, lower: string, usual: string): boolean {
  return name === lower || name === usual || name.toLowerCase() === lower;
}

const none: string[] = Object.freeze([]) as unknown as string[];

function appended(list: string[], value: string): string[] {
  if (list === none) return [value];
  list.push(value);
  return list;
}

const safeMethods: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

type Scheme = 'Bearer' | 'DPoP';

/**
 * The scheme of an `Authorization` value, compared case-insensitively (RFC 7235 §2.1), when it
 * is one a token travels with; `DPoP` only when the verifier accepts DPoP.
 */
function schemeOf(value: string, dpopAccepted: boolean): Scheme | undefined {
  // `startsWith` first: the usual spelling is matched without cutting out a string.
  if (value.length >= 6 && (value.length === 6 || value.charCodeAt(6) === 0x20)) {
    if (value.startsWith('Bearer') || value.slice(0, 6).toLowerCase() === 'bearer') return 'Bearer';
  }
  if (dpopAccepted && value.length >= 4 && (value.length === 4 || value.charCodeAt(4) === 0x20)) {
    if (value.startsWith('DPoP') || value.slice(0, 4).toLowerCase() === 'dpop') return 'DPoP';
  }
  return undefined;
}

/**
 * The credential of an `Authorization` value: what follows the scheme and its spaces, less
 * trailing spaces. Its characters are not checked here: the verifier accepts only canonical
 * base64url segments, so anything else is refused there with the same answer as any bad token,
 * and a cache hit is an exact match of a string that passed that check before.
 */
function credentialOf(value: string, scheme: Scheme): string | undefined {
  let start = scheme.length + 1;
  while (value.charCodeAt(start) === 0x20) start++;
  let end = value.length;
  while (end > start && value.charCodeAt(end - 1) === 0x20) end--;
  return end > start ? value.slice(start, end) : undefined;
}
const quotedStringSafe = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/**
 * The `WWW-Authenticate` value: one challenge per scheme this resource accepts (RFC 9110 §11.6.1
 * allows several in one field), each with the same parameters so the answer does not depend on
 * how the token was sent. The DPoP challenge names the accepted proof algorithms (RFC 9449 §7.1).
 */
function challengeBuilder(
  realm: string | undefined,
  dpop: ResolvedDpop | undefined,
  resourceMetadataUrl: string | undefined,
): (params: string, schemes?: 'all' | 'dpop') => string {
  const realmParam = realm === undefined ? [] : [`realm="${realm}"`];
  const metadataParam =
    resourceMetadataUrl === undefined ? [] : [`resource_metadata="${resourceMetadataUrl}"`];
  const one = (scheme: Scheme, params: string): string => {
    const parts = [...realmParam];
    if (params !== '') parts.push(params);
    if (scheme === 'DPoP' && dpop !== undefined) {
      parts.push(`algs="${dpop.algorithmNames.join(' ')}"`);
    }
    parts.push(...metadataParam);
    return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`;
  };
  return (params, schemes = 'all') => {
    if (dpop === undefined) return one('Bearer', params);
    if (dpop.required || schemes === 'dpop') return one('DPoP', params);
    return `${one('Bearer', params)}, ${one('DPoP', params)}`;
  };
}

function failure(
  status: AuthenticationFailure['status'],
  wwwAuthenticate: string,
  body: Record<string, string>,
  extraHeaders: Readonly<Record<string, string>> = {},
): AuthenticationOutcome {
  return {
    ok: false,
    failure: {
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        'www-authenticate': wwwAuthenticate,
        ...extraHeaders,
      },
      body: JSON.stringify(body),
    },
  };
}

/** An origin with nothing after it: `https://host[:port]`. */
function resolvePublicOrigin(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigurationError('publicOrigin must be an absolute URL');
  }
  if ((url.protocol !== 'https:' && url.protocol !== 'http:') || url.href !== `${url.origin}/`) {
    throw new ConfigurationError('publicOrigin must be an http(s) origin, with no path');
  }
  return url.origin;
}

interface ResourceMetadata {
  /** The path the document is served at (RFC 9728 §3.1). */
  readonly path: string;
  /** Its absolute URL, for `resource_metadata` in challenges. */
  readonly url: string;
  readonly answer: AuthenticationOutcome;
}

function httpsUrl(value: unknown, name: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw new ConfigurationError(`${name} must be an absolute URL`);
  }
  const loopback =
    url.hostname === 'localhost' || url.hostname === '127.0.0.1' || url.hostname === '[::1]';
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new ConfigurationError(`${name} must use https (http only for loopback hosts)`);
  }
  if (url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new ConfigurationError(`${name} must have no fragment or credentials`);
  }
  return url;
}

/**
 * The RFC 9728 document, built once. Where it is served follows from the resource identifier:
 * `/.well-known/oauth-protected-resource` inserted between its host and path (§3.1).
 */
function resourceMetadataFor(
  options: ResourceMetadataOptions | undefined,
  dpop: ResolvedDpop | undefined,
): ResourceMetadata | undefined {
  if (options === undefined) return undefined;
  const resource = httpsUrl(options.resource, 'resourceMetadata.resource');
  if (resource.search !== '') {
    throw new ConfigurationError('resourceMetadata.resource must have no query');
  }
  const servers = options.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new ConfigurationError('resourceMetadata.authorizationServers must be a non-empty list');
  }
  const authorizationServers = servers.map(
    (server, index) =>
      httpsUrl(server, `resourceMetadata.authorizationServers[${index}]`) && server,
  );
  if (options.scopesSupported !== undefined && !options.scopesSupported.every(isScopeToken)) {
    throw new ConfigurationError('resourceMetadata.scopesSupported must be scope tokens');
  }
  const path = resourceMetadataPath(options.resource);
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: authorizationServers,
    // Tokens travel in `Authorization` only: never in a query (refused outright) or a form body.
    bearer_methods_supported: ['header'],
    ...(options.scopesSupported === undefined ? {} : { scopes_supported: options.scopesSupported }),
    ...(dpop === undefined
      ? {}
      : {
          dpop_signing_alg_values_supported: dpop.algorithmNames,
          dpop_bound_access_tokens_required: dpop.required,
        }),
    ...(options.resourceName === undefined ? {} : { resource_name: options.resourceName }),
    ...(options.resourceDocumentation === undefined
      ? {}
      : {
          resource_documentation: httpsUrl(
            options.resourceDocumentation,
            'resourceMetadata.resourceDocumentation',
          ).href,
        }),
  };
  return {
    path,
    url: `${resource.origin}${path}`,
    answer: {
      ok: false,
      failure: {
        status: 200,
        headers: {
          'content-type': 'application/json; charset=utf-8',
          // Public and the same for everyone: caches may keep it for a while.
          'cache-control': 'public, max-age=3600',
        },
        body: JSON.stringify(document),
      },
    },
  };
}

/**
 * Where the RFC 9728 document of `resource` is served: `/.well-known/oauth-protected-resource`
 * inserted between the host and the path of the resource identifier (RFC 9728 §3.1).
 */
export function resourceMetadataPath(resource: string): string {
  const { pathname } = new URL(resource);
  return `/.well-known/oauth-protected-resource${pathname === '/' ? '' : pathname}`;
}

/** The path of a request target (`/a/b?c` → `/a/b`). */
function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query === -1 ? target : target.slice(0, query);
}

/**
 * The request-level half of every adapter: refuses tokens in URLs, reads exactly one token from
 * `Authorization` (`Bearer`, or `DPoP` with its proof when the verifier accepts DPoP), verifies
 * it, and builds the RFC 6750 / RFC 9449 answer. Every invalid token gets a byte-identical 401,
 * whatever the reason; the one exception is `use_dpop_nonce`, which the client needs to retry.
 * With `resourceMetadata`, it also answers GET for the RFC 9728 document.
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
  const dpop = verifierDpop(verifier);
  const publicOrigin = resolvePublicOrigin(options.publicOrigin);
  const metadata = resourceMetadataFor(options.resourceMetadata, dpop);
  const challenge = challengeBuilder(realm, dpop, metadata?.url);
  const requiredScopes = options.requiredScopes;
  const invalidRequest = failure(400, challenge('error="invalid_request"'), {
    error: 'invalid_request',
  });
  const noToken = failure(401, challenge(''), { error: 'unauthorized' });
  const invalidToken = failure(401, challenge('error="invalid_token"'), {
    error: 'invalid_token',
  });
  const csrfRefused = failure(403, challenge('error="invalid_request"'), {
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
    // A current nonce on every answer, so a client never has to be refused to learn the next one.
    const nonces = dpop?.policy.nonces;
    if (nonces === undefined) return { ok: true, token: verified };
    return {
      ok: true,
      token: verified,
      headers: { 'dpop-nonce': nonces.issue(Math.floor(Date.now() / 1000)) },
    };
  };

  const refused = (error: unknown): AuthenticationOutcome => {
    if (error instanceof InsufficientScopeError) {
      const scope = error.requiredScopes.join(' ');
      return failure(403, challenge(`error="insufficient_scope", scope="${scope}"`), {
        error: 'insufficient_scope',
        scope,
      });
    }
    if (error instanceof DpopNonceRequiredError) {
      // RFC 9449 §9: the client signs a new proof with this nonce and sends the request again.
      return failure(
        401,
        challenge(
          'error="use_dpop_nonce", error_description="Resource server requires nonce in DPoP proof"',
          'dpop',
        ),
        { error: 'use_dpop_nonce' },
        { 'dpop-nonce': error.nonce },
      );
    }
    if (error instanceof InvalidTokenError) return invalidToken;
    throw error;
  };

  const fromCache = cachedVerification(verifier);

  /** Synchronous when the token was verified before (most requests), a promise otherwise. */
  const verifyToken = (
    token: string,
    source: TokenSource,
    presentation: TokenPresentation | undefined,
  ): AuthenticationOutcome | Promise<AuthenticationOutcome> => {
    const context =
      presentation === undefined
        ? requiredScopes === undefined
          ? undefined
          : { requiredScopes }
        : requiredScopes === undefined
          ? { presentation }
          : { requiredScopes, presentation };
    let hit: VerifiedToken | undefined;
    try {
      hit = fromCache?.(token, context);
    } catch (error) {
      return refused(error);
    }
    if (hit !== undefined) return accepted(hit, source);
    return verifier.verify(token, context).then((verified) => accepted(verified, source), refused);
  };

  /** What a DPoP proof must be about: this request, at this server's public address. */
  const presentationOf = (request: BearerRequest, scheme: Scheme): TokenPresentation => {
    const origin = publicOrigin ?? request.origin;
    return {
      scheme,
      method: request.method,
      // No origin (no or a malformed Host): a URL no proof can match.
      url: origin === undefined ? 'invalid:' : `${origin}${request.url}`,
      dpopProofs: request.dpop ?? [],
    };
  };

  return (request) => {
    if (metadata !== undefined && pathOf(request.url) === metadata.path) {
      const method = request.method.toUpperCase();
      if (method === 'GET' || method === 'HEAD') return metadata.answer;
    }
    if (urlCarriesToken(request.url)) return invalidRequest;
    let scheme: Scheme | undefined;
    let value: string | undefined;
    for (const candidate of request.authorization) {
      scheme = schemeOf(candidate, dpop !== undefined);
      if (scheme !== undefined) {
        value = candidate;
        break;
      }
    }
    if (value === undefined || scheme === undefined) {
      if (cookieName === undefined) return noToken;
      const [fromCookie, ...extra] = cookieValues(request.cookie, cookieName);
      if (fromCookie === undefined) return noToken;
      if (extra.length > 0) return invalidToken;
      return verifyToken(
        fromCookie,
        safeMethods.has(request.method.toUpperCase())
          ? 'cookie-safe'
          : { csrfToken: request.csrfToken },
        // A cookie is a bearer credential: a bound token there is refused like one sent as Bearer.
        dpop === undefined ? undefined : presentationOf(request, 'Bearer'),
      );
    }
    if (request.authorization.length > 1) return invalidRequest;
    const credential = credentialOf(value, scheme);
    if (credential === undefined) return invalidToken;
    return verifyToken(
      credential,
      'header',
      dpop === undefined ? undefined : presentationOf(request, scheme),
    );
  };
}

/**
 * `createAuthenticator` over node:http requests (node, Fastify, Express): reads the request's
 * `DPoP` header and origin only when the verifier accepts DPoP, so a request to a verifier
 * without it pays for neither.
 */
export function createIncomingAuthenticator(
  verifier: Verifier,
  options?: AuthenticateOptions,
): (
  request: NodeRequestLike,
  url: string,
) => AuthenticationOutcome | Promise<AuthenticationOutcome> {
  const authenticate = createAuthenticator(verifier, options);
  const readDpop = verifierDpop(verifier) !== undefined;
  return (request, url) => authenticate(bearerRequestFrom(request, url, readDpop));
}

/**
 * Runs `authenticate` and `finish` with the outcome as soon as it is known — at once for a token
 * verified before, after the promise otherwise — and hands anything thrown to `fail`. For
 * adapters whose frameworks take callbacks (Express middleware).
 */
export function settle(
  authenticate: () => AuthenticationOutcome | Promise<AuthenticationOutcome>,
  finish: (outcome: AuthenticationOutcome) => void,
  fail: (error: Error) => void,
): void {
  let outcome: AuthenticationOutcome | Promise<AuthenticationOutcome>;
  try {
    outcome = authenticate();
  } catch (error) {
    fail(error as Error);
    return;
  }
  if (outcome instanceof Promise) outcome.then(finish, fail);
  else finish(outcome);
}
