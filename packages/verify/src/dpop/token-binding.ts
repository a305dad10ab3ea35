import type { AccessTokenClaims } from '@writ/core';
import { reject } from '../rejection.ts';
import { checkDpopProof } from './proof-check.ts';
import { rejectProof } from './reasons.ts';
import type { ResolvedDpop } from './verifier-options.ts';

/**
 * How a request presented its token, as the HTTP adapters read it. Code calling `verify()`
 * itself passes this to have DPoP-bound tokens checked.
 */
export interface TokenPresentation {
  /** The `Authorization` scheme: `DPoP` for a DPoP-bound token (RFC 9449 §7.1). */
  readonly scheme: 'Bearer' | 'DPoP';
  /** The request's method, as received. */
  readonly method: string;
  /** The request's absolute URL at this server's public address (query and fragment ignored). */
  readonly url: string;
  /** Every `DPoP` header value received (one, normally). */
  readonly dpopProofs: readonly string[];
}

/**
 * Sender-constraint (RFC 9449 §7): a token bound to a key (`cnf.jkt`) is accepted only with the
 * `DPoP` scheme and a proof, made by that key, for this request and this token. Runs on every
 * verify, cached or not: a cached token with a replayed proof is refused like a fresh one.
 */
export function checkTokenBinding(
  claims: AccessTokenClaims,
  accessToken: string,
  presentation: TokenPresentation | undefined,
  dpop: ResolvedDpop | undefined,
  nowMs: number,
): void {
  const cnf = claims.cnf;
  const jkt = cnf?.jkt;
  // A confirmation method other than DPoP (mTLS `x5t#S256`, say) cannot be checked here: refused.
  if (cnf !== undefined && (typeof jkt !== 'string' || jkt === '')) reject('proof_required');
  if (dpop === undefined) {
    if (cnf !== undefined) reject('proof_required');
    return;
  }
  if (jkt === undefined) {
    // The client believes the token is bound, or this server accepts bound tokens only.
    if (dpop.required || presentation?.scheme === 'DPoP') rejectProof('dpop_token_not_bound');
    return;
  }
  if (presentation === undefined) rejectProof('dpop_proof_missing');
  if (presentation.scheme !== 'DPoP') rejectProof('dpop_bound_token_as_bearer');
  const [proof, ...more] = presentation.dpopProofs;
  if (proof === undefined) rejectProof('dpop_proof_missing');
  if (more.length > 0) rejectProof('dpop_proof_repeated');
  checkDpopProof(
    proof,
    { method: presentation.method, url: presentation.url, accessToken, expectedJkt: jkt },
    dpop.policy,
    nowMs,
  );
}
