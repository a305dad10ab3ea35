export { createWritClient, type WritClient } from './create-writ-client.ts';
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
