import type { JwsAlgorithm } from '@writ/core';
import { fetchJwks, JwksFetchError, type JwksFetchLimits } from './jwks-fetch.ts';
import { buildKeyIndex, type KeyIndex } from './key-index.ts';
import type { KeyResolver } from './key-resolver.ts';
import { reject } from './rejection.ts';
import type { VerificationKey } from './signature.ts';

export interface RemoteKeySetOptions extends JwksFetchLimits {
  readonly uri: URL;
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  /** Least time between two refetches caused by an unknown `kid`. */
  readonly cooldownSec: number;
  /** Bounds applied to the server's `Cache-Control: max-age`. */
  readonly minMaxAgeSec: number;
  readonly maxMaxAgeSec: number;
  /** Freshness when the server sends no `max-age`. */
  readonly defaultMaxAgeSec: number;
  /** Called when a download fails; the cached keys stay in use. */
  readonly onFetchError: (error: unknown) => void;
}

/** First retry delay after a failed download while no keys are cached; doubles up to the cooldown. */
const initialRetryDelaySec = 1;

/**
 * A key set fetched from a `jwks_uri` and kept fresh.
 *
 * - Known keys are served from memory; once stale they keep being served while one background
 *   refresh runs, and a failed refresh never drops them.
 * - An unknown `kid` causes at most one download per cooldown, shared by every request that
 *   misses meanwhile; other misses in the cooldown are rejected without touching the network,
 *   so a flood of made-up `kid`s cannot be turned against the issuer.
 */
export function createRemoteKeySet(options: RemoteKeySetOptions): KeyResolver {
  let index: KeyIndex | undefined;
  let freshUntilMs = 0;
  let lastAttemptMs = Number.NEGATIVE_INFINITY;
  let failures = 0;
  /** How long a failed first download is not retried: doubling with each failure, up to the cooldown. */
  const retryDelaySec = (): number =>
    Math.min(options.cooldownSec, initialRetryDelaySec * 2 ** Math.max(0, failures - 1));
  /** Last download caused by an unknown `kid`: only those are limited by the cooldown. */
  let lastKidRefetchMs = Number.NEGATIVE_INFINITY;
  let inflight: Promise<void> | undefined;
  let lastPublished = '';
  const replacedListeners: Array<() => void> = [];

  const refresh = (): Promise<void> => {
    if (inflight !== undefined) return inflight;
    lastAttemptMs = Date.now();
    inflight = (async () => {
      try {
        const fetched = await fetchJwks(options.uri, options);
        const { body } = fetched;
        // A 200 that is not a key set (a maintenance page, an error object) must not replace
        // the keys we hold with none.
        if (
          typeof body !== 'object' ||
          body === null ||
          !Array.isArray((body as { keys?: unknown }).keys)
        ) {
          throw new JwksFetchError('answer is not a JSON Web Key Set');
        }
        const next = await buildKeyIndex(body, options.algorithms);
        const maxAge = Math.min(
          options.maxMaxAgeSec,
          Math.max(options.minMaxAgeSec, fetched.maxAgeSec ?? options.defaultMaxAgeSec),
        );
        const published = JSON.stringify(body);
        const changed = index !== undefined && published !== lastPublished;
        lastPublished = published;
        index = next;
        freshUntilMs = Date.now() + maxAge * 1000;
        failures = 0;
        // Any change may have withdrawn or replaced a key, so tokens verified with it must be
        // judged again.
        if (changed) for (const listener of replacedListeners) listener();
      } catch (error) {
        failures++;
        options.onFetchError(error);
      } finally {
        inflight = undefined;
      }
    })();
    return inflight;
  };

  const sinceLastAttemptSec = (): number => (Date.now() - lastAttemptMs) / 1000;

  const resolveLoaded = async (
    kid: string | undefined,
    alg: JwsAlgorithm,
  ): Promise<VerificationKey> => {
    if (index === undefined) {
      if (inflight === undefined && sinceLastAttemptSec() < retryDelaySec()) {
        reject('key_set_unavailable');
      }
      await refresh();
      if (index === undefined) reject('key_set_unavailable');
      return find(kid, alg) ?? reject('unknown_kid');
    }
    // Unknown kid: join a download under way, or start one if the cooldown allows.
    if (inflight !== undefined) {
      await inflight;
    } else if ((Date.now() - lastKidRefetchMs) / 1000 >= options.cooldownSec) {
      lastKidRefetchMs = Date.now();
      await refresh();
    } else {
      reject('unknown_kid');
    }
    return find(kid, alg) ?? reject('unknown_kid');
  };

  const find = (kid: string | undefined, alg: JwsAlgorithm): VerificationKey | undefined =>
    kid === undefined ? undefined : index?.get(kid)?.get(alg);

  return {
    resolve(kid, alg) {
      const key = find(kid, alg);
      if (key === undefined) return resolveLoaded(kid, alg);
      if (
        Date.now() >= freshUntilMs &&
        inflight === undefined &&
        sinceLastAttemptSec() >= retryDelaySec()
      ) {
        void refresh();
      }
      return key;
    },
    onKeysReplaced(listener) {
      replacedListeners.push(listener);
    },
  };
}
