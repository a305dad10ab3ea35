export { createWritClient, type WritClient } from './create-writ-client.ts';
export {
  createDpopProver,
  type DpopProofRequest,
  type DpopProver,
  type DpopProverOptions,
} from './dpop/create-dpop-prover.ts';
export type { DpopAlgorithm } from './dpop/dpop-key.ts';
export type { DpopKeyStorage } from './dpop/key-storage.ts';
export {
  WritClientError,
  type WritClientErrorCode,
  type WritClientErrorDetails,
} from './errors.ts';
export type {
  ClientMode,
  FetchLike,
  SessionEndReason,
  WritClientOptions,
} from './options.ts';
export type { StoredSession, TokenStore } from './token-store.ts';
