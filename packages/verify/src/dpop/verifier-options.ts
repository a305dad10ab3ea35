import { ConfigurationError } from '@writ/core';
import { createDpopNonces, type DpopNonceOptions, type DpopNonces } from './nonces.ts';
import { type DpopProofLimits, type DpopProofPolicy, resolveProofPolicy } from './proof-policy.ts';
import { createDpopReplayCache, type DpopReplayCache } from './replay-cache.ts';

/** DPoP at a resource server (RFC 9449 §7): see docs/dpop.md. */
export interface DpopVerifierOptions extends DpopProofLimits {
  /**
   * Refuse every token that is not DPoP-bound, so no bearer token is accepted at all. Default
   * false: bound tokens need their proof, unbound tokens keep working as bearer tokens.
   */
  readonly required?: boolean;
  /**
   * Where accepted proofs are remembered against replay. Default: a cache of 100 000 entries of
   * this verifier's own. Pass one to share it between verifiers of one process.
   */
  readonly replay?: DpopReplayCache;
  /**
   * Require a server nonce in every proof (RFC 9449 §9): `true` with a random per-process
   * secret, or the nonce options (a shared secret for several instances).
   */
  readonly nonce?: boolean | DpopNonceOptions;
}

export interface ResolvedDpop {
  readonly required: boolean;
  readonly policy: DpopProofPolicy;
  /** The accepted proof algorithms, as the `algs` of the `WWW-Authenticate: DPoP` challenge. */
  readonly algorithmNames: readonly string[];
}

export function resolveDpopOptions(
  options: DpopVerifierOptions | undefined,
): ResolvedDpop | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== 'object' || options === null) {
    throw new ConfigurationError('dpop must be an object');
  }
  if (options.required !== undefined && typeof options.required !== 'boolean') {
    throw new ConfigurationError('dpop.required must be a boolean');
  }
  let nonces: DpopNonces | undefined;
  if (options.nonce === true) nonces = createDpopNonces();
  else if (typeof options.nonce === 'object' && options.nonce !== null) {
    nonces = createDpopNonces(options.nonce);
  } else if (options.nonce !== undefined && options.nonce !== false) {
    throw new ConfigurationError('dpop.nonce must be a boolean or nonce options');
  }
  const policy = resolveProofPolicy(options, options.replay ?? createDpopReplayCache(), nonces);
  return {
    required: options.required ?? false,
    policy,
    algorithmNames: [...policy.algorithms],
  };
}

/** Each verifier's DPoP settings, for its HTTP adapters' challenges and metadata. */
const dpopByVerifier = new WeakMap<object, ResolvedDpop>();

export function registerVerifierDpop(verifier: object, dpop: ResolvedDpop | undefined): void {
  if (dpop !== undefined) dpopByVerifier.set(verifier, dpop);
}

/** The verifier's DPoP settings, or undefined when it does not accept DPoP. Not public API. */
export function verifierDpop(verifier: object): ResolvedDpop | undefined {
  return dpopByVerifier.get(verifier);
}
