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
 * - Known keys are served from memory while fresh (the set's `max-age`, bounded). Once stale,
 *   a lookup waits for one refresh before a key is used again, so a key withdrawn from the set
 *   never verifies a token (cached ones included, see `staleTimer`) later than `max-age` after
 *   the last download that still had it, as long as the issuer answers. A failed refresh never
 *   drops the keys held: they stay in use, retried with a backoff.
 * - A key published since the last download is picked up on first sight of its `kid`.
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
  const keysMayHaveGone = (): void => {
    for (const listener of replacedListeners) listener();
  };
  /**
   * Fires when the keys turn stale. A token verified before sits in the verifier's cache and
   * never asks for its key again, so without this a key withdrawn from the set would keep
   * verifying its cached tokens past the refresh that withdraws it, as long as no other token
   * needed a key lookup (none would start that refresh). Telling the verifier its keys may have
   * gone empties the cache: the next verify of any token looks its key up, and that lookup
   * starts the refresh. The timer only ever drops the cache, never downloads anything, and is
   * unref'd: a verifier nobody uses any more costs no network and keeps no process alive.
   */
  let staleTimer: NodeJS.Timeout | undefined;

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
        clearTimeout(staleTimer);
        staleTimer = setTimeout(keysMayHaveGone, maxAge * 1000).unref();
        // Any change may have withdrawn or replaced a key, so tokens verified with it must be
        // judged again.
        if (changed) keysMayHaveGone();
      } catch (error) {
        failures++;
        options.onFetchError(error);
        if (index !== undefined && Date.now() >= freshUntilMs) {
          // Stale keys stay in use, and what they verify is cached; dropped again when the next
          // attempt is due, so a key the issuer withdrew meanwhile stops verifying once it is back.
          clearTimeout(staleTimer);
          staleTimer = setTimeout(keysMayHaveGone, retryDelaySec() * 1000).unref();
        }
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
    // Unknown kid: join a download under way, start the one that is due anyway when the keys
    // are stale, or start one if the cooldown allows.
    if (inflight !== undefined) {
      await inflight;
    } else if (Date.now() >= freshUntilMs && sinceLastAttemptSec() >= retryDelaySec()) {
      await refresh();
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

  /**
   * A known key from keys past their `max-age` is used only once the issuer has been asked again:
   * the key may have been withdrawn since (an emergency rotation withdraws a leaked key at once),
   * and a withdrawn key must stop verifying at the consumer's next refresh, not one token later.
   * Every lookup meanwhile waits for that one download. If it fails, the keys held stay in use
   * (an issuer outage must not refuse every token) and further lookups do not wait for the
   * network until the retry delay has passed.
   */
  const revalidate = async (
    kid: string | undefined,
    alg: JwsAlgorithm,
    stale: VerificationKey,
  ): Promise<VerificationKey> => {
    await (inflight ?? refresh());
    if (Date.now() < freshUntilMs) return find(kid, alg) ?? reject('unknown_kid');
    return stale;
  };

  return {
    resolve(kid, alg) {
      const key = find(kid, alg);
      if (key === undefined) return resolveLoaded(kid, alg);
      if (Date.now() < freshUntilMs) return key;
      if (inflight !== undefined || sinceLastAttemptSec() >= retryDelaySec()) {
        return revalidate(kid, alg, key);
      }
      return key;
    },
    onKeysReplaced(listener) {
      replacedListeners.push(listener);
    },
  };
}
