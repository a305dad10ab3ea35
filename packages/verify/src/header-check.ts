import { type JoseHeader, type JwsAlgorithm, normaliseTyp } from '@writ/core';
import { reject } from './rejection.ts';

export interface HeaderPolicy {
  readonly algorithms: ReadonlySet<JwsAlgorithm>;
  /** Normalised `typ` values accepted (see `normaliseTyp`). */
  readonly tokenTypes: ReadonlySet<string>;
  /** Whether a `kid` is required to pick the key (always, except with a single shared secret). */
  readonly requireKid: boolean;
}

/**
 * Checks the protected header before any key is looked up. Header parameters that could name a
 * key (`jwk`, `jku`, `x5u`, `x5c`) are never read: keys come only from the configured set.
 */
export function checkHeader(header: Record<string, unknown>, policy: HeaderPolicy): JoseHeader {
  const { alg, typ, kid, crit } = header;
  if (typeof alg !== 'string' || !policy.algorithms.has(alg as JwsAlgorithm)) {
    reject('alg_not_allowed');
  }
  if (typeof typ !== 'string' || !policy.tokenTypes.has(normaliseTyp(typ))) reject('typ_mismatch');
  // Writ understands no critical extensions, so any `crit` is a reason to stop (RFC 7515 §4.1.11);
  // `b64` changes what the signature covers (RFC 7797) and is refused with or without `crit`.
  if (crit !== undefined || 'b64' in header) reject('crit_unsupported');
  if (kid !== undefined && (typeof kid !== 'string' || kid === '')) reject('bad_header');
  if (policy.requireKid && kid === undefined) reject('missing_kid');
  return header as unknown as JoseHeader;
}
