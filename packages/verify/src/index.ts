export {
  type AccessTokenClaims,
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  type JoseHeader,
  type JwsAlgorithm,
  type RejectReason,
} from '@writ/core';
export {
  createVerifier,
  type VerifiedToken,
  type Verifier,
  type VerifyContext,
} from './create-verifier.ts';
export {
  createDpopNonces,
  createDpopReplayCache,
  type DpopNonceOptions,
  type DpopNonces,
  type DpopProofLimits,
  type DpopProofRequest,
  type DpopProofResult,
  type DpopRejectReason,
  type DpopReplayCache,
  type DpopReplayCacheOptions,
  verifyDpopProof,
} from './dpop/index.ts';
export { DpopNonceRequiredError } from './dpop/nonce-error.ts';
export type { TokenPresentation } from './dpop/token-binding.ts';
export type { DpopVerifierOptions } from './dpop/verifier-options.ts';
export type { JsonWebKeySet } from './key-index.ts';
export type {
  JwksFetchOptions,
  RejectEvent,
  RevocationOptions,
  VerifierOptions,
} from './options.ts';
export type { RevocationState, RevocationStatus } from './revocation/revocations.ts';
export { RevocationSyncError } from './revocation/sync-error.ts';
