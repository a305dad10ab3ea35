import type { RejectReason } from '@writ/verify';

/** Why inspect could not even try: bad options, keys or metadata it could not get. */
export type SetupFailure =
  | 'not_a_jws'
  | 'invalid_option'
  | 'jwks_unreadable'
  | 'metadata_unavailable'
  | 'metadata_mismatch';

export type VerificationFailure = RejectReason | SetupFailure;

/**
 * What each reason means, for the operator. `@writ/verify` hides the reason from clients (one
 * public error); inspect is a local diagnostic, so it shows it. Partial so that a reason added to
 * `@writ/core` later still gets reported, with the generic sentence, before it gets its own.
 */
const explanations: Readonly<Partial<Record<VerificationFailure, string>>> = {
  malformed: 'the token is not well-formed compact JWS with JSON header and payload',
  too_large: "the token is over the verifier's size cap (8 KiB by default)",
  unsupported_serialization: 'the token is not compact JWS (JWE, JWS JSON or wrong segment count)',
  bad_header: 'a header parameter has the wrong type',
  alg_not_allowed:
    "the alg is not one the verifier accepts (inspect accepts the token's own asymmetric alg only; HMAC tokens need the shared secret)",
  typ_mismatch: 'the typ header is missing or not the one accepted',
  crit_unsupported: 'the header uses crit or b64, which Writ refuses',
  missing_kid: 'the header has no kid to pick the key with',
  unknown_kid: 'no key in the set has this kid for this alg',
  key_set_unavailable: 'the key set could not be downloaded',
  bad_signature:
    'the signature does not match the key: the token was altered or signed by someone else',
  bad_claims: 'a required claim (iss, sub, aud, exp, iat, jti) is missing or has the wrong type',
  issuer_mismatch: 'iss is not the expected issuer',
  audience_mismatch: 'aud does not contain the expected audience',
  expired: 'the token has expired',
  not_yet_valid: 'nbf is in the future',
  issued_in_future: 'iat is in the future',
  too_old: 'the token was issued too long ago',
  proof_required: 'the token is bound to a key (cnf) and needs a proof of possession, not bare use',
  revoked: 'the token has been revoked',
  revocations_stale: 'the revocation list is out of date',
  lifetime_exceeds_revocation_window:
    'the token lives longer than the revocation log keeps entries, so a revocation could be forgotten before it expires',
  internal_error: 'the verifier failed unexpectedly',
  insufficient_scope: 'the token lacks a required scope',
  not_a_jws: 'the input is not a decodable compact JWS, so there is nothing to verify',
  invalid_option: 'an option is not usable',
  jwks_unreadable: 'the key set file could not be used',
  metadata_unavailable: "the issuer's metadata could not be used",
  metadata_mismatch: "the issuer's metadata names a different issuer",
};

export function explainFailure(reason: VerificationFailure): string {
  return explanations[reason] ?? 'the verifier refused the token';
}
