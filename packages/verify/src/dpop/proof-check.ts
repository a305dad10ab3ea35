import { createHash, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { type AsymmetricAlgorithm, normaliseTyp, TokenKind } from '@writ/core';
import { type CompactSegments, decodeJsonObject, splitCompact } from '../compact.ts';
import { Rejection } from '../rejection.ts';
import { derFromP1363 } from '../signature.ts';
import { signatureParameters } from '../signature-algorithms.ts';
import { normaliseHtu } from './htu.ts';
import { type ProofKey, proofKeyFrom } from './proof-key.ts';
import type { DpopProofPolicy } from './proof-policy.ts';
import { DpopNonceRejection, rejectProof } from './reasons.ts';

/** The request a proof must be for. */
export interface ProofTarget {
  /** The request's method, as received (RFC 9449 compares `htm` exactly). */
  readonly method: string;
  /** The request's absolute URL; query and fragment are ignored. */
  readonly url: string;
  /** The access token sent with the request, whose hash the proof's `ath` must be. */
  readonly accessToken: string | undefined;
  /** The key the token is bound to (`cnf.jkt`), which must be the proof's. */
  readonly expectedJkt: string | undefined;
}

/** `ath` for an access token: base64url(SHA-256(ASCII bytes)) (RFC 9449 §4.2). */
export function accessTokenHash(accessToken: string): string {
  return createHash('sha256').update(accessToken, 'latin1').digest('base64url');
}

const jtiShape = /^[\x21-\x7e]{1,128}$/;

function decodeOrReject(segment: string): Record<string, unknown> {
  try {
    return decodeJsonObject(segment);
  } catch (error) {
    if (error instanceof Rejection) rejectProof('dpop_proof_malformed');
    throw error;
  }
}

function splitOrReject(proof: string): CompactSegments {
  try {
    return splitCompact(proof);
  } catch (error) {
    if (error instanceof Rejection) rejectProof('dpop_proof_malformed');
    throw error;
  }
}

/**
 * The proof's signature, synchronously, with the algorithm's pinned parameters (the same table
 * the token's signature uses): a cached token's proof is checked without a promise.
 */
function signatureHolds(
  segments: CompactSegments,
  alg: AsymmetricAlgorithm,
  key: KeyObject,
): boolean {
  const parameters = signatureParameters[alg];
  const input = Buffer.from(segments.signingInput, 'latin1');
  let signature: Buffer = Buffer.from(segments.signature, 'base64url');
  try {
    switch (parameters.family) {
      case 'eddsa':
      case 'ml-dsa':
        return cryptoVerify(null, input, key, signature);
      case 'ecdsa':
        if (signature.length !== parameters.signatureBytes) return false;
        signature = derFromP1363(signature);
        return cryptoVerify(parameters.digest, input, key, signature);
      case 'rsa':
        return cryptoVerify(
          parameters.digest,
          input,
          parameters.saltLength === undefined
            ? { key, padding: parameters.padding }
            : { key, padding: parameters.padding, saltLength: parameters.saltLength },
          signature,
        );
      case 'hmac':
        return false;
    }
  } catch {
    // A signature node:crypto cannot even parse is a bad one.
    return false;
  }
}

/** A proof header that passed every check that depends on it alone, with its imported key. */
export interface CheckedProofHeader {
  readonly alg: AsymmetricAlgorithm;
  readonly key: ProofKey;
}

/**
 * The header checks: `typ`, `alg` in the allowlist, no `crit` or `b64`, and the `jwk` a public
 * key fit for `alg`. A client sends the same header bytes with every proof, so the result is kept
 * by the header segment (`headerCache`): the JSON, the key import and the thumbprint then cost
 * nothing on the next proof.
 */
function checkProofHeader(segment: string, policy: DpopProofPolicy): CheckedProofHeader {
  const header = decodeOrReject(segment);
  const { typ, alg, jwk } = header;
  if (typeof typ !== 'string' || normaliseTyp(typ) !== TokenKind.dpopProof) {
    rejectProof('dpop_typ_mismatch');
  }
  if (typeof alg !== 'string' || !policy.algorithms.has(alg as AsymmetricAlgorithm)) {
    rejectProof('dpop_alg_not_allowed');
  }
  if (header.crit !== undefined || 'b64' in header) rejectProof('dpop_crit_unsupported');
  return {
    alg: alg as AsymmetricAlgorithm,
    key: proofKeyFrom(jwk, alg as AsymmetricAlgorithm),
  };
}

/**
 * Checks a DPoP proof against the request it came with (RFC 9449 §4.3), in the RFC's order, and
 * returns the thumbprint of its key. Throws `DpopRejection` (or `DpopNonceRejection`) otherwise.
 * The `jti` is recorded last, once everything else holds, so a refused proof takes no room in
 * the replay cache.
 */
export function checkDpopProof(
  proof: string,
  target: ProofTarget,
  policy: DpopProofPolicy,
  nowMs: number,
): string {
  if (proof.length > policy.maxProofBytes) rejectProof('dpop_proof_too_large');
  const segments = splitOrReject(proof);
  const known = policy.headerCache.get(segments.header);
  // The cache may be shared by calls with other allowlists: the algorithm is judged each time.
  if (known !== undefined && !policy.algorithms.has(known.alg)) rejectProof('dpop_alg_not_allowed');
  const header = known ?? checkProofHeader(segments.header, policy);
  if (!signatureHolds(segments, header.alg, header.key.keyObject)) {
    rejectProof('dpop_bad_signature');
  }
  // Kept only once a signature by its key holds: headers with keys nobody holds cannot push
  // real clients' headers out of the cache.
  if (known === undefined) policy.headerCache.set(segments.header, header);
  const key = header.key;
  const claims = decodeOrReject(segments.payload);
  const { htm, htu, iat, jti, ath } = claims;
  if (
    typeof htm !== 'string' ||
    typeof htu !== 'string' ||
    typeof iat !== 'number' ||
    !Number.isFinite(iat) ||
    typeof jti !== 'string' ||
    !jtiShape.test(jti)
  ) {
    rejectProof('dpop_bad_claims');
  }
  if (htm !== target.method) rejectProof('dpop_htm_mismatch');
  const presentedHtu = normaliseHtu(htu);
  if (presentedHtu === undefined || presentedHtu !== normaliseHtu(target.url)) {
    rejectProof('dpop_htu_mismatch');
  }
  const nowSec = nowMs / 1000;
  if (Math.abs(nowSec - iat) > policy.iatWindowSec) rejectProof('dpop_iat_out_of_window');
  if (target.accessToken !== undefined) {
    if (typeof ath !== 'string' || ath !== accessTokenHash(target.accessToken)) {
      rejectProof('dpop_ath_mismatch');
    }
  }
  if (target.expectedJkt !== undefined && key.jkt !== target.expectedJkt) {
    rejectProof('dpop_jkt_mismatch');
  }
  if (policy.nonces !== undefined && !policy.nonces.accepts(claims.nonce, nowSec)) {
    throw new DpopNonceRejection(policy.nonces.issue(nowSec));
  }
  // Live until any proof made at `iat` is out of the window: iat ≤ now + window, so now + 2 ×
  // window covers it, and the lifetime is the same for every entry (the cache relies on that).
  const expiresAtMs = nowMs + 2 * policy.iatWindowSec * 1000;
  switch (policy.replay.claim(`${key.jkt}.${jti}`, expiresAtMs, nowMs)) {
    case 'replayed':
      rejectProof('dpop_replayed');
      break;
    case 'full':
      rejectProof('dpop_replay_cache_full');
      break;
    case 'fresh':
      break;
  }
  return key.jkt;
}
