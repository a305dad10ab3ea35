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
export type { JsonWebKeySet } from './key-index.ts';
export type { JwksFetchOptions, RejectEvent, VerifierOptions } from './options.ts';
