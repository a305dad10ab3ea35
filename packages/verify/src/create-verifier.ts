import {
  type AccessTokenClaims,
  InsufficientScopeError,
  InvalidTokenError,
  type JoseHeader,
  parseScope,
} from '@writ/core';
import {
  type AfterSignaturePolicy,
  checkAfterSignature,
  ScopeRejection,
  type VerifyContext,
} from './after-signature.ts';
import { type ClaimsPolicy, checkClaimShapes } from './claims-check.ts';
import { decodeJsonObject, splitCompact } from './compact.ts';
import { DpopNonceRequiredError } from './dpop/nonce-error.ts';
import { DpopNonceRejection, DpopRejection } from './dpop/reasons.ts';
import { registerVerifierDpop } from './dpop/verifier-options.ts';
import { FrozenSet } from './frozen-set.ts';
import { checkHeader, type HeaderPolicy } from './header-check.ts';
import type { KeyResolver } from './key-resolver.ts';
import { createLocalKeySet } from './local-key-set.ts';
import { type ResolvedOptions, resolveOptions, type VerifierOptions } from './options.ts';
import { RecentCache } from './recent-cache.ts';
import { Rejection, reject } from './rejection.ts';
import { createRemoteKeySet } from './remote-key-set.ts';
import { type RevocationStatus, startRevocations } from './revocation/revocations.ts';
import { createSecretKey } from './secret-key.ts';
import { verifySignature } from './signature.ts';
import { type VerifiedEntry, VerifiedTokenCache } from './verified-cache.ts';

export type { VerifyContext };

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

/** Distinct headers and scope values remembered per verifier (filled only from signed tokens). */
const memoEntries = 64;
const noScopes: ReadonlySet<string> = new FrozenSet<string>([]);

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
    // for…in over own JSON-made members: no array of values allocated per object.
    for (const name in value) {
      const member = value[name];
      if (typeof member === 'object') deepFreeze(member);
    }
  }
  return value;
}

/**
 * Builds a verifier. Options are validated here, once; a mistake throws `ConfigurationError`.
 *
 * The verify path is a straight line: size cap → cache → split → header → key → signature →
 * claim shapes → (cache) → the checks after the signature (times → revocations → scopes), which a
 * cache hit runs too.
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
  // Headers that passed `checkHeader` on a token whose signature held, by their exact segment;
  // and parsed `scope` values. The policy both depend on is fixed for the verifier's life.
  const checkedHeaders = new RecentCache<JoseHeader>(memoEntries);
  const parsedScopes = new RecentCache<ReadonlySet<string>>(memoEntries);
  const scopesOf = (scope: string | undefined): ReadonlySet<string> => {
    if (scope === undefined) return noScopes;
    let scopes = parsedScopes.get(scope);
    if (scopes === undefined) {
      scopes = new FrozenSet(parseScope(scope));
      parsedScopes.set(scope, scopes);
    }
    return scopes;
  };
  const revocations =
    resolved.revocations === undefined ? undefined : startRevocations(resolved.revocations);
  const afterSignature: AfterSignaturePolicy = {
    claims: claimsPolicy,
    revocations,
    requiredScopes: resolved.requiredScopes,
    dpop: resolved.dpop,
  };

  /**
   * What a token is, whatever the time or the request: its signature and the shape of its claims
   * (exact `iss`, our `aud`). Both depend only on the token and this verifier's fixed policy, so
   * the result is cached; everything that can change runs in `checkAfterSignature`.
   */
  const checkSignedToken = (token: string, nowMs: number): CachedToken | Promise<CachedToken> => {
    const segments = splitCompact(token);
    const knownHeader = checkedHeaders.get(segments.header);
    const header = knownHeader ?? checkHeader(decodeJsonObject(segments.header), headerPolicy);
    const generation = keyGeneration;
    const finish = (): CachedToken => {
      // Decoded only once the signature holds: an unsigned payload is never parsed.
      const claims = checkClaimShapes(decodeJsonObject(segments.payload), claimsPolicy);
      if (knownHeader === undefined) checkedHeaders.set(segments.header, deepFreeze(header));
      const result = deepFreeze({ header, claims, scopes: scopesOf(claims.scope) });
      const entry: CachedToken = { header, claims, result, expiresAtMs: claims.exp * 1000 };
      if (entry.expiresAtMs > nowMs && generation === keyGeneration) cache.set(token, entry, nowMs);
      return entry;
    };
    // Known keys and synchronous signatures come back without a promise: one at a time, a verify
    // then costs no microtask beyond the caller's own await.
    const key = keys.resolve(header.kid, header.alg);
    if (key instanceof Promise) {
      return key.then(async (loaded) => {
        await verifySignature(segments, loaded);
        return finish();
      });
    }
    const checked = verifySignature(segments, key);
    return checked === undefined ? finish() : checked.then(finish);
  };

  /** Refuses with the public error that fits, after telling `onReject` why. */
  const refuse = (error: unknown): never => {
    if (error instanceof ScopeRejection) {
      resolved.onReject({ reason: error.reason });
      throw new InsufficientScopeError(error.required);
    }
    if (error instanceof DpopRejection) {
      resolved.onReject({ reason: error.reason, dpop: error.dpopReason });
      // Only a proof that passed every other check gets here: the client may retry with it.
      if (error instanceof DpopNonceRejection) throw new DpopNonceRequiredError(error.nonce);
      throw new InvalidTokenError();
    }
    // Anything unexpected is refused like any bad token: a distinct answer would be an oracle.
    resolved.onReject(
      error instanceof Rejection ? { reason: error.reason } : { reason: 'internal_error', error },
    );
    throw new InvalidTokenError();
  };

  /**
   * The cache-hit path, synchronous: the checks after the signature, with no promise in between.
   * `undefined` when the token is not cached (or the mirror has not loaded yet), and the caller
   * takes the asynchronous path.
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
      checkAfterSignature(cached.result, nowMs, context, afterSignature, token);
    } catch (error) {
      refuse(error);
    }
    return cached.result;
  };

  const verifyUncached = async (
    token: unknown,
    context: VerifyContext | undefined,
  ): Promise<VerifiedToken> => {
    try {
      if (typeof token !== 'string') reject('malformed');
      // Length in UTF-16 units ≤ bytes, and non-ASCII tokens fail the alphabet check later.
      if (token.length > resolved.maxTokenBytes) reject('too_large');
      const signed = checkSignedToken(token, Date.now());
      const entry = signed instanceof Promise ? await signed : signed;
      if (revocations !== undefined && !revocations.loaded) await revocations.firstLoad;
      // The key lookup or the first load may have waited on the network: judge as of now.
      checkAfterSignature(entry.result, Date.now(), context, afterSignature, token);
      return entry.result;
    } catch (error) {
      return refuse(error);
    }
  };

  const verifier: Verifier = {
    // Only the health view goes out: checking and closing stay the verifier's own business.
    revocations: revocations === undefined ? undefined : { state: () => revocations.state() },
    close: async () => {
      await revocations?.close();
    },
    verify(token, context) {
      // Not an async function: a miss returns verifyUncached's own promise, not one wrapping it.
      // A refused hit throws here, so it is turned into a rejected promise like any refusal.
      try {
        const hit = verifyCached(token, context);
        return hit === undefined ? verifyUncached(token, context) : Promise.resolve(hit);
      } catch (error) {
        return Promise.reject(error);
      }
    },
  };
  cachedPaths.set(verifier, verifyCached);
  registerVerifierDpop(verifier, resolved.dpop);
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
