export { createDpopNonces, type DpopNonceOptions, type DpopNonces } from './nonces.ts';
export type { DpopProofLimits } from './proof-policy.ts';
export type { DpopRejectReason } from './reasons.ts';
export {
  createDpopReplayCache,
  type DpopReplayCache,
  type DpopReplayCacheOptions,
  type ReplayClaim,
} from './replay-cache.ts';
export {
  type DpopProofRequest,
  type DpopProofResult,
  verifyDpopProof,
} from './verify-dpop-proof.ts';
