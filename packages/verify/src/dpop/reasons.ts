import { Rejection } from '../rejection.ts';

/**
 * Why a DPoP proof, or a token's binding to one, was refused (RFC 9449). Like every reject reason
 * these stay inside the process (`onReject`, logs): callers of `verify()` see `InvalidTokenError`,
 * and the token endpoint answers `invalid_dpop_proof`.
 */
export type DpopRejectReason =
  /** A DPoP-bound token (`cnf.jkt`) came without a proof, or a proof was required and absent. */
  | 'dpop_proof_missing'
  /** More than one `DPoP` header: which one the client meant cannot be known. */
  | 'dpop_proof_repeated'
  | 'dpop_proof_too_large'
  /** Not a compact JWS, or a header or payload that is not the JSON object a proof is. */
  | 'dpop_proof_malformed'
  | 'dpop_typ_mismatch'
  | 'dpop_alg_not_allowed'
  /** `crit` or `b64`: extensions Writ does not understand. */
  | 'dpop_crit_unsupported'
  /** `jwk` missing, not a public key of the algorithm's type, or carrying private members. */
  | 'dpop_bad_key'
  | 'dpop_bad_signature'
  | 'dpop_bad_claims'
  | 'dpop_htm_mismatch'
  | 'dpop_htu_mismatch'
  | 'dpop_iat_out_of_window'
  | 'dpop_ath_mismatch'
  /** The proof's key is not the one the token is bound to. */
  | 'dpop_jkt_mismatch'
  | 'dpop_replayed'
  /** The replay cache is full of live entries: a new proof is refused rather than one forgotten. */
  | 'dpop_replay_cache_full'
  /** The proof has no nonce, or one this server did not issue or has let expire. */
  | 'dpop_nonce_required'
  /** A DPoP-bound token presented with the `Bearer` scheme (RFC 9449 §7.1). */
  | 'dpop_bound_token_as_bearer'
  /** The `DPoP` scheme (or a verifier requiring DPoP) with a token that is not bound to a key. */
  | 'dpop_token_not_bound';

/**
 * Internal signal for a refused proof, carrying its reason; never leaves `@writ/verify`. To the
 * verifier's reject reasons (`@writ/core`'s closed list) it is `proof_required`; `onReject` also
 * gets the DPoP reason as `dpop`.
 */
export class DpopRejection extends Rejection {
  readonly dpopReason: DpopRejectReason;

  constructor(reason: DpopRejectReason) {
    super('proof_required');
    this.dpopReason = reason;
  }
}

export function rejectProof(reason: DpopRejectReason): never {
  throw new DpopRejection(reason);
}

/**
 * A proof that was fine except for its nonce: the answer is `use_dpop_nonce` with `nonce`, a
 * fresh one, in the `DPoP-Nonce` header (RFC 9449 §8, §9).
 */
export class DpopNonceRejection extends DpopRejection {
  readonly nonce: string;

  constructor(nonce: string) {
    super('dpop_nonce_required');
    this.nonce = nonce;
  }
}
