import {
  type AccessTokenClaims,
  InsufficientScopeError,
  InvalidTokenError,
  type JoseHeader,
  type JwsAlgorithm,
  missingScopes,
  parseScope,
} from '@writ/core';
import { flattenedVerify, errors as joseErrors } from 'jose';
import { type ClaimsPolicy, checkClaimShapes, checkClaimTimes } from './claims-check.ts';
import { type CompactSegments, decodeJsonObject, splitCompact } from './compact.ts';
import { checkHeader, type HeaderPolicy } from './header-check.ts';
import type { KeyResolver } from './key-resolver.ts';
import { createLocalKeySet } from './local-key-set.ts';
import { type ResolvedOptions, resolveOptions, type VerifierOptions } from './options.ts';
import { Rejection, reject } from './rejection.ts';
import { createRemoteKeySet } from './remote-key-set.ts';
import { type RevocationStatus, startRevocations } from './revocation/revocations.ts';
import { createSecretKey } from './secret-key.ts';
import { type VerifiedEntry, VerifiedTokenCache } from './verified-cache.ts';

/** Per-request additions to the verifier's fixed policy. */
export interface VerifyContext {
  /** Scopes this request needs on top of the verifier's `requiredScopes`. */
  readonly requiredScopes?: readonly string[];
}

/** A token that passed every check. Frozen: it may be shared by every request that presents the same token. */
export interface VerifiedToken {
  readonly header: JoseHeader;
  readonly claims: AccessTokenClaims;
  /** The token's scopes, parsed once. */
  readonly scopes: ReadonlySet<string>;
}

export interface Verifier {
  /**
   * Verifies an access token. Resolves with its claims, or rejects with `InvalidTokenError`
   * (whatever the reason) or `InsufficientScopeError` (valid token, missing scope).
   */
  verify(token: unknown, context?: VerifyContext): Promise<VerifiedToken>;
  /** The revocation mirror's health (`state()`), when `revocations` is configured. */
  readonly revocations: RevocationStatus | undefined;
  /**
   * Stops the revocation mirror (its stream and timers); from then on every verify is refused
   * (`revocations_stale`). A no-op without one.
   */
  close(): Promise<void>;
}

interface CachedToken extends VerifiedEntry {
  readonly result: VerifiedToken;
}

function createKeyResolver(options: ResolvedOptions): KeyResolver {
  const source = options.keySource;
  switch (source.kind) {
    case 'secret':
      return createSecretKey(source.secret, source.algorithms);
    case 'local':
      return createLocalKeySet(source.jwks, options.algorithms);
    case 'remote':
      return createRemoteKeySet({
        uri: source.uri,
        algorithms: options.algorithms,
        ...source.fetch,
        minMaxAgeSec: 60,
        maxMaxAgeSec: 24 * 3600,
        defaultMaxAgeSec: 600,
        onFetchError: options.onKeySetError,
      });
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const member of Object.values(value)) deepFreeze(member);
  }
  return value;
}

/** The signature, by jose, with the algorithm pinned to the one the header check allowed. */
async function checkSignature(
  segments: CompactSegments,
  key: CryptoKey,
  alg: JwsAlgorithm,
): Promise<void> {
  try {
    // The flattened form takes the segments already split, so jose does not split them again.
    await flattenedVerify(
      { protected: segments.header, payload: segments.payload, signature: segments.signature },
      key,
      { algorithms: [alg] },
    );
  } catch (error) {
    if (error instanceof joseErrors.JWSSignatureVerificationFailed) reject('bad_signature');
    reject('malformed');
  }
}

/**
 * Builds a verifier. Options are validated here, once; a mistake throws `ConfigurationError`.
 *
 * The verify path is a straight line: size cap → cache → split → header → key → signature →
 * claims → times → revocations → scopes.
 */
export function createVerifier(options: VerifierOptions): Verifier {
  const resolved = resolveOptions(options);
  const keys = createKeyResolver(resolved);
  const cache = new VerifiedTokenCache(resolved.cacheSize);
  // Bumped whenever keys may have been withdrawn: a verification that started before must not
  // put its result in the cache after the cache was emptied.
  let keyGeneration = 0;
  keys.onKeysReplaced(() => {
    keyGeneration++;
    cache.clear();
  });
  const headerPolicy: HeaderPolicy = {
    algorithms: resolved.algorithms,
    tokenTypes: resolved.tokenTypes,
    requireKid: resolved.keySource.kind !== 'secret',
  };
  const claimsPolicy: ClaimsPolicy = resolved;
  const revocations =
    resolved.revocations === undefined ? undefined : startRevocations(resolved.revocations);

  const verifySignatureAndShape = async (token: string, nowMs: number): Promise<CachedToken> => {
    const segments = splitCompact(token);
    const header = checkHeader(decodeJsonObject(segments.header), headerPolicy);
    const generation = keyGeneration;
    const resolvedKey = keys.resolve(header.kid, header.alg);
    // Known keys come back synchronously; awaiting only a promise saves a microtask per verify.
    const key = resolvedKey instanceof Promise ? await resolvedKey : resolvedKey;
    await checkSignature(segments, key, header.alg);
    // Decoding our own segment rather than jose's bytes keeps one JSON decoder for both parts.
    const claims = checkClaimShapes(decodeJsonObject(segments.payload), claimsPolicy);
    const result = deepFreeze({ header, claims, scopes: parseScope(claims.scope) });
    const entry: CachedToken = { header, claims, result, expiresAtMs: claims.exp * 1000 };
    if (entry.expiresAtMs > nowMs && generation === keyGeneration) cache.set(token, entry, nowMs);
    return entry;
  };

  const checkScopes = (entry: CachedToken, context: VerifyContext | undefined): void => {
    const required =
      context?.requiredScopes === undefined
        ? resolved.requiredScopes
        : [...resolved.requiredScopes, ...context.requiredScopes];
    if (required.length === 0) return;
    const missing = missingScopes(entry.result.scopes, required);
    if (missing.length > 0) {
      resolved.onReject({ reason: 'insufficient_scope' });
      throw new InsufficientScopeError(required);
    }
  };

  /** Refuses with the one public error after telling `onReject` why. */
  const refuse = (error: unknown): never => {
    // Anything unexpected is refused like any bad token: a distinct answer would be an oracle.
    resolved.onReject(
      error instanceof Rejection ? { reason: error.reason } : { reason: 'internal_error', error },
    );
    throw new InvalidTokenError();
  };

  /**
   * The cache-hit path, synchronous: every claim check, the revocation mirror and scopes, with no
   * promise in between. `undefined` when the token is not cached (or the mirror has not loaded
   * yet), and the caller takes the asynchronous path.
   */
  const verifyCached = (
    token: unknown,
    context: VerifyContext | undefined,
  ): VerifiedToken | undefined => {
    if (typeof token !== 'string' || token.length > resolved.maxTokenBytes) return undefined;
    if (revocations !== undefined && !revocations.loaded) return undefined;
    const nowMs = Date.now();
    const cached = cache.get(token, nowMs) as CachedToken | undefined;
    if (cached === undefined) return undefined;
    try {
      // A hit skips the signature only: every claim check runs again.
      checkClaimShapes(cached.claims, claimsPolicy);
      checkClaimTimes(cached.claims, claimsPolicy, nowMs / 1000);
      revocations?.check(cached.claims, cached.header, nowMs);
    } catch (error) {
      refuse(error);
    }
    checkScopes(cached, context);
    return cached.result;
  };

  const verifier: Verifier = {
    // Only the health view goes out: checking and closing stay the verifier's own business.
    revocations: revocations === undefined ? undefined : { state: () => revocations.state() },
    close: async () => {
      await revocations?.close();
    },
    async verify(token, context) {
      const hit = verifyCached(token, context);
      if (hit !== undefined) return hit;
      let entry: CachedToken;
      try {
        if (typeof token !== 'string') reject('malformed');
        // Length in UTF-16 units ≤ bytes, and non-ASCII tokens fail the alphabet check later.
        if (token.length > resolved.maxTokenBytes) reject('too_large');
        const nowMs = Date.now();
        entry = await verifySignatureAndShape(token, nowMs);
        checkClaimTimes(entry.claims, claimsPolicy, nowMs / 1000);
        if (revocations !== undefined) {
          if (!revocations.loaded) {
            await revocations.firstLoad;
            // The wait can outlast the token.
            checkClaimTimes(entry.claims, claimsPolicy, Date.now() / 1000);
          }
          // The key lookup or the first load may have waited on the network: judge staleness as
          // of now.
          revocations.check(entry.claims, entry.header, Date.now());
        }
      } catch (error) {
        return refuse(error);
      }
      checkScopes(entry, context);
      return entry.result;
    },
  };
  cachedPaths.set(verifier, verifyCached);
  return verifier;
}

const cachedPaths = new WeakMap<
  Verifier,
  (token: unknown, context: VerifyContext | undefined) => VerifiedToken | undefined
>();

/**
 * For the HTTP adapters: the verifier's synchronous cache-hit path, so a request whose token was
 * verified before is authenticated without a promise. Not part of the public API.
 */
export function cachedVerification(
  verifier: Verifier,
): ((token: unknown, context: VerifyContext | undefined) => VerifiedToken | undefined) | undefined {
  return cachedPaths.get(verifier);
}
