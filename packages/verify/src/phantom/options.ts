import {
  ConfigurationError,
  isScopeToken,
  type JwsAlgorithm,
  Policy,
  serviceUrlFlaw,
} from '@writ/core';
import { boundedInteger } from '../config-checks.ts';
import type { JsonWebKeySet } from '../key-index.ts';
import {
  type JwksFetchOptions,
  type ResolvedOptions,
  type RevocationOptions,
  resolveOptions,
  type VerifierOptions,
} from '../options.ts';
import type { PhantomRejectEvent } from './reasons.ts';

/** Limits on the calls to the introspection endpoint. All have safe defaults. */
export interface IntrospectionLimits {
  /** Abandon one introspection (connect, headers, body) after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Refuse a larger answer, and stop reading it. Default 64 KiB (an 8 KiB access token inside a signed answer is ~11 KiB). */
  readonly maxResponseBytes?: number;
  /**
   * Distinct tokens introspected at once; one more is refused as unavailable (503) at once rather
   * than queued. Default 64. Bounds what a flood of well-shaped made-up tokens costs the service.
   */
  readonly maxConcurrent?: number;
  /** Refuse a signed answer whose `iat` is older than this. Default 60 s. */
  readonly maxResponseAgeSec?: number;
}

export interface PhantomTokenExchangerOptions {
  /** `<issuer>/oauth/introspect`. https, or http to a loopback host only. */
  readonly introspectionEndpoint: string | URL;
  /** The gateway's own client id at the token service (a client allowed to introspect). */
  readonly clientId: string;
  /** Its secret, sent as client_secret_basic. Read it from the environment, never from argv. */
  readonly clientSecret: string;
  /** The token service's `iss`, compared exactly, for the signed answer and the access token. */
  readonly issuer: string;
  /** The upstream API's identifier: the access token's `aud` must contain it (or one of them). */
  readonly audience: string | readonly string[];
  /** The service's key set (`<issuer>/.well-known/jwks.json`); or `jwks`. Exactly one. */
  readonly jwksUri?: string | URL;
  readonly jwks?: JsonWebKeySet;
  /** Accepted `alg` for both tokens. Default `['EdDSA', 'ES256']`. */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Default 5 s, at most 30 s. */
  readonly clockToleranceSec?: number;
  /** Scopes every access token must carry (a token without them is refused with 403). */
  readonly requiredScopes?: readonly string[];
  /**
   * The service's revocation log, mirrored as by the verifier: a revoked `jti`, `sid`, `sub` or
   * `kid` ends a cached exchange at once, not at its next introspection.
   */
  readonly revocations?: RevocationOptions;
  /** Exchanges remembered (least recently used out first). Default 10 000; 0 turns the cache off. */
  readonly cacheSize?: number;
  /**
   * Longest a cached exchange is used before the service is asked again, whatever the access
   * token's `exp`. Default: until `exp` (at most 900 s) with `revocations`, 30 s without, so a
   * revocation reaches a gateway without a mirror within that bound.
   */
  readonly maxCacheAgeSec?: number;
  readonly introspection?: IntrospectionLimits;
  readonly jwksFetch?: JwksFetchOptions;
  /** Why a presented token was refused, for logs and metrics. Never the token. */
  readonly onReject?: (event: PhantomRejectEvent) => void;
  /** An introspection could not be completed (the token was refused as unavailable), or keys failed to load. */
  readonly onError?: (error: unknown) => void;
}

export interface ResolvedPhantomOptions {
  readonly introspectionEndpoint: URL;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly verifierOptions: VerifierOptions;
  /** The same options as the inner verifier's, resolved: key source, algorithms, tolerance. */
  readonly verifier: ResolvedOptions;
  /**
   * Checked per exchange rather than by the inner verifier: a token lacking them is still a valid
   * token, so its exchange is cached and the service is not asked again each time it is refused.
   */
  readonly requiredScopes: readonly string[];
  readonly cacheSize: number;
  readonly maxCacheAgeSec: number;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
  readonly maxConcurrent: number;
  readonly maxResponseAgeSec: number;
  readonly onReject: (event: PhantomRejectEvent) => void;
  readonly onError: (error: unknown) => void;
}

function fail(message: string): never {
  throw new ConfigurationError(message);
}

/**
 * The endpoint the token and the client secret are sent to: https, or http to a loopback host,
 * no credentials (`@writ/core`'s rule for service URLs, as for the verifier's), and no fragment.
 */
function resolveEndpoint(value: string | URL): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    fail('introspectionEndpoint must be an absolute URL');
  }
  const flaw = serviceUrlFlaw(url);
  if (flaw === 'insecure_scheme') {
    fail('introspectionEndpoint must use https (plain http is allowed only for loopback hosts)');
  }
  if (flaw === 'carries_credentials') fail('introspectionEndpoint must not carry credentials');
  if (url.hash !== '') fail('introspectionEndpoint must not have a fragment');
  return url;
}

/** Visible ASCII: it goes into an `Authorization` header. */
const clientIdShape = /^[\x21-\x7e]{1,255}$/;

/** Validates once, at construction: a mistake throws `ConfigurationError` at start-up. */
export function resolvePhantomOptions(
  options: PhantomTokenExchangerOptions,
): ResolvedPhantomOptions {
  if (typeof options !== 'object' || options === null) fail('options are required');
  const introspectionEndpoint = resolveEndpoint(options.introspectionEndpoint);
  if (typeof options.clientId !== 'string' || !clientIdShape.test(options.clientId)) {
    fail('clientId must be 1 to 255 visible ASCII characters');
  }
  if (
    typeof options.clientSecret !== 'string' ||
    options.clientSecret === '' ||
    options.clientSecret.length > 1024
  ) {
    fail('clientSecret must be a non-empty string of at most 1024 characters');
  }
  const onReject = options.onReject ?? (() => {});
  const onError = options.onError ?? (() => {});
  const verifierOptions: VerifierOptions = {
    issuer: options.issuer,
    audience: options.audience,
    ...(options.jwksUri === undefined ? {} : { jwksUri: options.jwksUri }),
    ...(options.jwks === undefined ? {} : { jwks: options.jwks }),
    ...(options.algorithms === undefined ? {} : { algorithms: options.algorithms }),
    ...(options.clockToleranceSec === undefined
      ? {}
      : { clockToleranceSec: options.clockToleranceSec }),
    ...(options.revocations === undefined ? {} : { revocations: options.revocations }),
    ...(options.jwksFetch === undefined ? {} : { jwksFetch: options.jwksFetch }),
    onKeySetError: onError,
    onReject: ({ reason, error }) =>
      onReject({
        reason: 'bad_access_token',
        innerReason: reason,
        ...(error === undefined ? {} : { error }),
      }),
  };
  const verifier = resolveOptions(verifierOptions);
  if (verifier.keySource.kind === 'secret') fail('a phantom-token exchanger needs jwksUri or jwks');
  const requiredScopes = options.requiredScopes ?? [];
  if (!Array.isArray(requiredScopes) || !requiredScopes.every(isScopeToken)) {
    fail('requiredScopes must be a list of scope tokens (RFC 6749 §3.3)');
  }
  const limits = options.introspection ?? {};
  const longest = Policy.accessTokenMaxLifetimeSec;
  return {
    introspectionEndpoint,
    clientId: options.clientId,
    clientSecret: options.clientSecret,
    verifierOptions,
    verifier,
    requiredScopes: [...requiredScopes],
    cacheSize: boundedInteger(options.cacheSize, 'cacheSize', 10_000, 0, 10_000_000),
    maxCacheAgeSec: boundedInteger(
      options.maxCacheAgeSec,
      'maxCacheAgeSec',
      options.revocations === undefined ? 30 : longest,
      1,
      longest,
    ),
    timeoutMs: boundedInteger(limits.timeoutMs, 'introspection.timeoutMs', 5000, 100, 60_000),
    maxResponseBytes: boundedInteger(
      limits.maxResponseBytes,
      'introspection.maxResponseBytes',
      64 * 1024,
      4 * 1024,
      1024 * 1024,
    ),
    maxConcurrent: boundedInteger(
      limits.maxConcurrent,
      'introspection.maxConcurrent',
      64,
      1,
      10_000,
    ),
    maxResponseAgeSec: boundedInteger(
      limits.maxResponseAgeSec,
      'introspection.maxResponseAgeSec',
      60,
      1,
      300,
    ),
    onReject,
    onError,
  };
}
