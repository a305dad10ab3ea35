import { InsufficientScopeError, InvalidTokenError } from '@writ/core';
import type { VerifyContext } from '../after-signature.ts';
import { createVerifier, type VerifiedToken, type Verifier } from '../create-verifier.ts';
import type { KeyResolver } from '../key-resolver.ts';
import { createLocalKeySet } from '../local-key-set.ts';
import { Rejection } from '../rejection.ts';
import { createRemoteKeySet } from '../remote-key-set.ts';
import type { RevocationStatus } from '../revocation/revocations.ts';
import { cacheKeyOf, ExchangeCache } from './exchange-cache.ts';
import { clientSecretBasic, requestIntrospection } from './introspection-request.ts';
import {
  type IntrospectionResponsePolicy,
  verifyIntrospectionResponse,
} from './introspection-response.ts';
import { isOpaqueAccessToken } from './opaque-token.ts';
import {
  type PhantomTokenExchangerOptions,
  type ResolvedPhantomOptions,
  resolvePhantomOptions,
} from './options.ts';
import { PhantomRejection } from './reasons.ts';
import { ExchangeUnavailableError } from './unavailable-error.ts';

export interface PhantomExchangeStats {
  /** Exchanges held in the cache. */
  readonly cached: number;
  /** Introspection requests sent since start. */
  readonly introspections: number;
  /** Introspections under way. */
  readonly inFlight: number;
}

export interface PhantomTokenExchanger {
  /**
   * Exchanges an opaque access token (`wat_…`) for the at+jwt it stands for, verified as strictly
   * as `@writ/verify` verifies any access token. Rejects with `InvalidTokenError` (whatever the
   * reason, a JWT presented directly included), `InsufficientScopeError` (valid, lacking a scope),
   * or `ExchangeUnavailableError` (the token service could not be asked: answer 503).
   */
  exchange(opaqueToken: unknown, context?: VerifyContext): Promise<string>;
  /** The revocation mirror's health, when `revocations` is configured. */
  readonly revocations: RevocationStatus | undefined;
  stats(): PhantomExchangeStats;
  /** Stops the mirror and aborts introspections under way; every exchange is refused afterwards. */
  close(): Promise<void>;
}

function responseKeys(resolved: ResolvedPhantomOptions): KeyResolver {
  const source = resolved.verifier.keySource;
  if (source.kind === 'local') return createLocalKeySet(source.jwks, resolved.verifier.algorithms);
  if (source.kind === 'secret')
    throw new TypeError('unreachable: refused by resolvePhantomOptions');
  return createRemoteKeySet({
    uri: source.uri,
    algorithms: resolved.verifier.algorithms,
    ...source.fetch,
    minMaxAgeSec: 60,
    maxMaxAgeSec: 24 * 3600,
    defaultMaxAgeSec: 600,
    onFetchError: resolved.onError,
  });
}

/**
 * Builds the exchanger a gateway runs in front of an API whose clients hold opaque access tokens.
 * Options are validated here, once (`ConfigurationError`).
 *
 * One exchange, in order: shape (`wat_` + 43 base64url, else refused without a network call) →
 * cache, by the token's SHA-256 → one introspection per token at a time (concurrent requests with
 * the same token share it) → the signed answer verified (RFC 9701) → `active` and the access
 * token it carries → that access token verified strictly (issuer, audience, type, signature,
 * times, revocation mirror, scopes) → cached until its `exp` (bounded by `maxCacheAgeSec`). A
 * cache hit runs the verifier on the cached access token again — its own cache makes that a few
 * lookups — so expiry and the revocation mirror end a cached exchange the moment they apply.
 */
export function createPhantomTokenExchanger(
  options: PhantomTokenExchangerOptions,
): PhantomTokenExchanger {
  const resolved = resolvePhantomOptions(options);
  const verifier: Verifier = createVerifier(resolved.verifierOptions);
  const responsePolicy: IntrospectionResponsePolicy = {
    issuer: resolved.verifier.issuer,
    clientId: resolved.clientId,
    algorithms: resolved.verifier.algorithms,
    clockToleranceSec: resolved.verifier.clockToleranceSec,
    maxResponseAgeSec: resolved.maxResponseAgeSec,
    keys: responseKeys(resolved),
  };
  const endpoint = {
    url: resolved.introspectionEndpoint,
    authorization: clientSecretBasic(resolved.clientId, resolved.clientSecret),
    timeoutMs: resolved.timeoutMs,
    maxResponseBytes: resolved.maxResponseBytes,
  };
  const cache = new ExchangeCache(resolved.cacheSize);
  const inFlight = new Map<string, Promise<string>>();
  const shutdown = new AbortController();
  let introspections = 0;

  /** Turns an internal refusal into the one public error, after telling `onReject` why. */
  const refused = (rejection: PhantomRejection): InvalidTokenError => {
    resolved.onReject(
      rejection.innerReason === undefined
        ? { reason: rejection.reason }
        : { reason: rejection.reason, innerReason: rejection.innerReason },
    );
    return new InvalidTokenError();
  };

  /**
   * The strict verify of an access token the service handed over. A stale mirror refuses every
   * token, good ones included: that is an outage of the revocation log and is answered like one
   * (`ExchangeUnavailableError`, 503), not as a verdict on this token (401, after which a client
   * would throw it away and sign in again).
   */
  const verifyAccessToken = async (
    accessToken: string,
    context: VerifyContext | undefined,
  ): Promise<VerifiedToken> => {
    try {
      return await verifier.verify(accessToken, context);
    } catch (error) {
      if (error instanceof InvalidTokenError && verifier.revocations?.state().stale === true) {
        const stale = new ExchangeUnavailableError(
          'revocations_stale',
          'the revocation mirror is not up to date',
        );
        resolved.onError(stale);
        throw stale;
      }
      throw error;
    }
  };

  /** Asks the service once and verifies everything it says; the access token, or a throw. */
  const introspect = async (opaqueToken: string, key: string): Promise<string> => {
    introspections++;
    let response: string;
    try {
      response = await requestIntrospection(endpoint, opaqueToken, shutdown.signal);
    } catch (error) {
      resolved.onError(error);
      throw error;
    }
    let verdict: Awaited<ReturnType<typeof verifyIntrospectionResponse>>;
    try {
      verdict = await verifyIntrospectionResponse(response, responsePolicy, Date.now);
    } catch (error) {
      if (error instanceof Rejection) {
        throw refused(new PhantomRejection('bad_introspection_response', error.reason));
      }
      throw error;
    }
    if (!verdict.active) throw refused(new PhantomRejection('inactive'));
    // Refusals here were already reported by the verifier's onReject (reason bad_access_token).
    const verified = await verifyAccessToken(verdict.accessToken, undefined);
    const nowMs = Date.now();
    cache.set(
      key,
      {
        accessToken: verdict.accessToken,
        keepUntilMs: Math.min(verified.claims.exp * 1000, nowMs + resolved.maxCacheAgeSec * 1000),
      },
      nowMs,
    );
    return verdict.accessToken;
  };

  const baseScopes = resolved.requiredScopes;
  const baseContext: VerifyContext | undefined =
    baseScopes.length === 0 ? undefined : { requiredScopes: baseScopes };
  /** The exchanger's required scopes plus the request's. */
  const withRequiredScopes = (context: VerifyContext | undefined): VerifyContext | undefined =>
    context?.requiredScopes === undefined
      ? baseContext
      : { requiredScopes: [...baseScopes, ...context.requiredScopes] };

  const exchange = async (opaqueToken: unknown, requested?: VerifyContext): Promise<string> => {
    const context = withRequiredScopes(requested);
    if (shutdown.signal.aborted) {
      throw new ExchangeUnavailableError('closed', 'the exchanger is closed');
    }
    if (typeof opaqueToken !== 'string' || !isOpaqueAccessToken(opaqueToken)) {
      throw refused(new PhantomRejection('not_opaque_token'));
    }
    const key = cacheKeyOf(opaqueToken);
    const cached = cache.get(key, Date.now());
    if (cached !== undefined) {
      try {
        await verifyAccessToken(cached.accessToken, context);
      } catch (error) {
        // Expired or revoked since it was cached: it is over, drop it now.
        if (error instanceof InvalidTokenError) cache.delete(key);
        throw error;
      }
      return cached.accessToken;
    }
    let flight = inFlight.get(key);
    if (flight === undefined) {
      if (inFlight.size >= resolved.maxConcurrent) {
        const error = new ExchangeUnavailableError(
          'too_many_introspections',
          `${resolved.maxConcurrent} introspections are already under way`,
        );
        resolved.onError(error);
        throw error;
      }
      flight = introspect(opaqueToken, key).finally(() => inFlight.delete(key));
      inFlight.set(key, flight);
    }
    const accessToken = await flight;
    // The flight verified it for every caller; this adds the caller's own scopes, and is a hit
    // in the verifier's cache.
    await verifyAccessToken(accessToken, context);
    return accessToken;
  };

  return {
    async exchange(opaqueToken, context) {
      try {
        return await exchange(opaqueToken, context);
      } catch (error) {
        if (
          error instanceof InvalidTokenError ||
          error instanceof ExchangeUnavailableError ||
          error instanceof InsufficientScopeError
        ) {
          throw error;
        }
        // Anything unexpected is refused like a bad token: a distinct answer would be an oracle.
        resolved.onReject({ reason: 'internal_error', error });
        throw new InvalidTokenError();
      }
    },
    revocations: verifier.revocations,
    stats: () => ({ cached: cache.size, introspections, inFlight: inFlight.size }),
    async close() {
      shutdown.abort();
      cache.clear();
      await verifier.close();
    },
  };
}
