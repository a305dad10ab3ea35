import {
  ConfigurationError,
  DefaultAlgorithms,
  isAsymmetricAlgorithm,
  isScopeToken,
  isSymmetricAlgorithm,
  type JwsAlgorithm,
  MinimumHmacSecretBytes,
  normaliseTyp,
  Policy,
  type RejectReason,
  type SymmetricAlgorithm,
  serviceUrlFlaw,
  TokenKind,
  withFullySpecifiedNames,
} from '@writ/core';
import { boundedNumber } from './config-checks.ts';
import type { DpopRejectReason } from './dpop/reasons.ts';
import {
  type DpopVerifierOptions,
  type ResolvedDpop,
  resolveDpopOptions,
} from './dpop/verifier-options.ts';
import type { JsonWebKeySet } from './key-index.ts';

/** What `onReject` learns about a refused token. Never the token itself. */
export interface RejectEvent {
  readonly reason: RejectReason;
  /** With reason `proof_required`: which DPoP check failed (docs/dpop.md). */
  readonly dpop?: DpopRejectReason;
  /** Only with reason `internal_error`: what went wrong, for the operator. */
  readonly error?: unknown;
}

/** Limits for downloading a remote key set. All have safe defaults. */
export interface JwksFetchOptions {
  /** Abort a download after this long. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Refuse a key set larger than this. Default 256 KiB. */
  readonly maxBytes?: number;
  /** Least time between refetches caused by an unknown `kid`; at least 30 s. Default 30 s. */
  readonly cooldownSec?: number;
}

/** Where and how to follow the token service's revocation log (see docs/revocation.md). */
export interface RevocationOptions {
  /** The token service's base URL; the mirror calls `<uri>/revocations[/stream]`. https, or http for loopback hosts only. */
  readonly uri: string | URL;
  /** This consumer's key (`writ consumer add`), sent as `Authorization: Bearer`. */
  readonly credentials: string;
  /**
   * Refuse every token once the mirror has not been known to be up to date for this long.
   * Default 30 s, 2 s to 300 s: a longer bound would let an outage of the service pass unnoticed
   * for most of a token's lifetime. Keep it at least two of the service's heartbeat intervals
   * (5 s by default), or one late heartbeat refuses every token (reported through `onError`).
   */
  readonly maxStalenessSec?: number;
  /** Told when following the log fails (bad answer, lost stream, refused credentials); it retries. */
  readonly onError?: (error: unknown) => void;
}

export interface VerifierOptions {
  /** Expected `iss`, compared exactly: no prefix match, no case folding, no trailing-slash fixups. */
  readonly issuer: string;
  /** This resource server's identifier; `aud` must contain it (or one of them). */
  readonly audience: string | readonly string[];
  /** URL of the issuer's JWKS. https, or http for loopback hosts only. */
  readonly jwksUri?: string | URL;
  /** A key set given directly instead of `jwksUri`. */
  readonly jwks?: JsonWebKeySet;
  /**
   * Single-party HMAC mode: the shared secret (≥ 256 bits, and at least the hash size). Only with
   * `algorithms` naming HS256/384/512 explicitly; never together with a key set.
   */
  readonly secret?: Uint8Array;
  /**
   * Accepted `alg` values. Default `['EdDSA', 'ES256']`. `none` can never be accepted. `EdDSA`
   * also admits its fully-specified name `Ed25519` (RFC 9864).
   */
  readonly algorithms?: readonly JwsAlgorithm[];
  /** Accepted `typ` header values. Default `['at+jwt']` (RFC 9068). */
  readonly tokenTypes?: readonly string[];
  /** Allowed clock difference for `exp`, `nbf`, `iat`. Default 5 s, at most 30 s. */
  readonly clockToleranceSec?: number;
  /** Refuse tokens issued longer ago than this, whatever their `exp`. */
  readonly maxTokenAgeSec?: number;
  /** Scopes every token must carry. Per-request scopes can be added to `verify()`. */
  readonly requiredScopes?: readonly string[];
  /** Refuse tokens longer than this many bytes before parsing. Default 8 KiB. */
  readonly maxTokenBytes?: number;
  /** How many verified tokens to remember so their signature is not checked again. Default 10 000; 0 turns the cache off. */
  readonly cacheSize?: number;
  /** Limits for the JWKS download. */
  readonly jwksFetch?: JwksFetchOptions;
  /** Told why each token was refused, for server-side logs and metrics. */
  readonly onReject?: (event: RejectEvent) => void;
  /** Told when a JWKS download fails (cached keys stay in use). */
  readonly onKeySetError?: (error: unknown) => void;
  /** Keep a mirror of the token service's revocation log and refuse revoked tokens. */
  readonly revocations?: RevocationOptions;
  /**
   * Accept DPoP-bound tokens (RFC 9449) with their proofs; see docs/dpop.md. Without it a bound
   * token (`cnf`) is always refused (`proof_required`).
   */
  readonly dpop?: DpopVerifierOptions;
}

export type KeySource =
  | { readonly kind: 'remote'; readonly uri: URL; readonly fetch: Required<JwksFetchOptions> }
  | { readonly kind: 'local'; readonly jwks: JsonWebKeySet }
  | {
      readonly kind: 'secret';
      readonly secret: Uint8Array;
      readonly algorithms: readonly SymmetricAlgorithm[];
    };

export interface ResolvedRevocationOptions {
  readonly uri: URL;
  readonly credentials: string;
  readonly maxStalenessSec: number;
  readonly onError: (error: unknown) => void;
}

export interface ResolvedOptions {
  readonly issuer: string;
  readonly audiences: ReadonlySet<string>;
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  readonly tokenTypes: ReadonlySet<string>;
  readonly clockToleranceSec: number;
  readonly maxTokenAgeSec: number | undefined;
  readonly requiredScopes: readonly string[];
  readonly maxTokenBytes: number;
  readonly cacheSize: number;
  readonly keySource: KeySource;
  readonly onReject: (event: RejectEvent) => void;
  readonly onKeySetError: (error: unknown) => void;
  readonly revocations: ResolvedRevocationOptions | undefined;
  readonly dpop: ResolvedDpop | undefined;
}

const minimumCooldownSec = 30;

function fail(message: string): never {
  throw new ConfigurationError(message);
}

function nonEmptyString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') fail(`${name} must be a non-empty string`);
  return value;
}

/**
 * An absolute URL the verifier will call: https, or plain http to a loopback host only (anything
 * else would let the network read or alter what the verifier trusts), with no credentials in it.
 */
function resolveServiceUri(value: string | URL, name: string): URL {
  let uri: URL;
  try {
    uri = new URL(value);
  } catch {
    fail(`${name} must be an absolute URL`);
  }
  const flaw = serviceUrlFlaw(uri);
  if (flaw === 'insecure_scheme') {
    fail(`${name} must use https (plain http is allowed only for loopback hosts)`);
  }
  if (flaw === 'carries_credentials') fail(`${name} must not carry credentials`);
  return uri;
}

function resolveAlgorithms(options: VerifierOptions): ReadonlySet<JwsAlgorithm> {
  const algorithms = options.algorithms ?? DefaultAlgorithms;
  if (!Array.isArray(algorithms) || algorithms.length === 0) {
    fail('algorithms must be a non-empty list');
  }
  for (const alg of algorithms as readonly string[]) {
    if (typeof alg === 'string' && alg.toLowerCase() === 'none') {
      fail('the "none" algorithm can never be accepted');
    }
    if (!isAsymmetricAlgorithm(alg) && !isSymmetricAlgorithm(alg)) {
      fail(`unsupported algorithm: ${String(alg)}`);
    }
  }
  return withFullySpecifiedNames(algorithms);
}

function resolveKeySource(
  options: VerifierOptions,
  algorithms: ReadonlySet<JwsAlgorithm>,
): KeySource {
  const given = [options.jwksUri, options.jwks, options.secret].filter((v) => v !== undefined);
  if (given.length !== 1) fail('exactly one of jwksUri, jwks or secret is required');
  const symmetric = [...algorithms].filter(isSymmetricAlgorithm);
  if (options.secret !== undefined) {
    if (options.algorithms === undefined || symmetric.length !== algorithms.size) {
      fail('a secret requires algorithms to list only HS256, HS384 or HS512, explicitly');
    }
    if (!(options.secret instanceof Uint8Array)) fail('secret must be a Uint8Array');
    for (const alg of symmetric) {
      if (options.secret.byteLength < MinimumHmacSecretBytes[alg]) {
        fail(`secret must be at least ${MinimumHmacSecretBytes[alg] * 8} bits for ${alg}`);
      }
    }
    return { kind: 'secret', secret: new Uint8Array(options.secret), algorithms: symmetric };
  }
  if (symmetric.length > 0)
    fail('HMAC algorithms are allowed only with an explicit secret, never with a key set');
  if (options.jwks !== undefined) {
    if (typeof options.jwks !== 'object' || !Array.isArray(options.jwks.keys)) {
      fail('jwks must be a JSON Web Key Set ({ keys: [...] })');
    }
    return { kind: 'local', jwks: structuredClone(options.jwks) };
  }
  const fetchOptions = options.jwksFetch ?? {};
  return {
    kind: 'remote',
    uri: resolveServiceUri(options.jwksUri as string | URL, 'jwksUri'),
    fetch: {
      timeoutMs: boundedNumber(fetchOptions.timeoutMs, 'jwksFetch.timeoutMs', 5000, 100, 60_000),
      maxBytes: boundedNumber(
        fetchOptions.maxBytes,
        'jwksFetch.maxBytes',
        256 * 1024,
        1024,
        4 * 1024 * 1024,
      ),
      cooldownSec: boundedNumber(
        fetchOptions.cooldownSec,
        'jwksFetch.cooldownSec',
        minimumCooldownSec,
        minimumCooldownSec,
        3600,
      ),
    },
  };
}

/**
 * Longest allowed staleness bound: a third of the longest access-token lifetime, so a mirror cut
 * off from the service refuses tokens long before the ones it holds have run out.
 */
const maxStalenessCeilingSec = Policy.accessTokenMaxLifetimeSec / 3;

/** A header-safe token: visible ASCII, so it can never split or smuggle an HTTP header. */
const consumerKeyShape = /^[\x21-\x7e]+$/;

function resolveRevocations(
  options: RevocationOptions | undefined,
): ResolvedRevocationOptions | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) fail('revocations must be an object');
  const uri = resolveServiceUri(options.uri, 'revocations.uri');
  if (uri.search !== '' || uri.hash !== '') {
    fail('revocations.uri must be the service base URL, without query or fragment');
  }
  if (typeof options.credentials !== 'string' || !consumerKeyShape.test(options.credentials)) {
    fail('revocations.credentials must be the consumer key (a non-empty string of visible ASCII)');
  }
  if (options.onError !== undefined && typeof options.onError !== 'function') {
    fail('revocations.onError must be a function');
  }
  return {
    uri,
    credentials: options.credentials,
    maxStalenessSec: boundedNumber(
      options.maxStalenessSec,
      'revocations.maxStalenessSec',
      30,
      2,
      maxStalenessCeilingSec,
    ),
    onError: options.onError ?? (() => {}),
  };
}

/** Validates options once, at construction, so a mistake fails loudly at start-up and never per token. */
export function resolveOptions(options: VerifierOptions): ResolvedOptions {
  if (typeof options !== 'object' || options === null) fail('options are required');
  const issuer = nonEmptyString(options.issuer, 'issuer');
  const audienceList = typeof options.audience === 'string' ? [options.audience] : options.audience;
  if (!Array.isArray(audienceList) || audienceList.length === 0) fail('audience is required');
  for (const audience of audienceList) nonEmptyString(audience, 'audience');
  const algorithms = resolveAlgorithms(options);
  const tokenTypes = options.tokenTypes ?? [TokenKind.access];
  if (!Array.isArray(tokenTypes) || tokenTypes.length === 0)
    fail('tokenTypes must be a non-empty list');
  for (const typ of tokenTypes) nonEmptyString(typ, 'tokenTypes[]');
  const requiredScopes = options.requiredScopes ?? [];
  for (const scope of requiredScopes) {
    if (!isScopeToken(scope)) {
      fail(`requiredScopes has an invalid scope: ${JSON.stringify(scope)}`);
    }
  }
  const maxTokenAgeSec =
    options.maxTokenAgeSec === undefined
      ? undefined
      : boundedNumber(options.maxTokenAgeSec, 'maxTokenAgeSec', 0, 1, 365 * 24 * 3600);
  const noop = (): void => {};
  return {
    issuer,
    audiences: new Set(audienceList),
    algorithms,
    tokenTypes: new Set(tokenTypes.map(normaliseTyp)),
    clockToleranceSec: boundedNumber(
      options.clockToleranceSec,
      'clockToleranceSec',
      Policy.clockToleranceDefaultSec,
      0,
      Policy.clockToleranceMaxSec,
    ),
    maxTokenAgeSec,
    requiredScopes: [...requiredScopes],
    maxTokenBytes: boundedNumber(
      options.maxTokenBytes,
      'maxTokenBytes',
      Policy.maxTokenBytesDefault,
      256,
      Policy.maxTokenBytesCeiling,
    ),
    cacheSize: boundedNumber(options.cacheSize, 'cacheSize', 10_000, 0, 10_000_000),
    keySource: resolveKeySource(options, algorithms),
    onReject: options.onReject ?? noop,
    onKeySetError: options.onKeySetError ?? noop,
    revocations: resolveRevocations(options.revocations),
    dpop: resolveDpopOptions(options.dpop),
  };
}
