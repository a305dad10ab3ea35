/**
 * `@writ/verify/phantom`: exchange opaque (phantom) access tokens for the JWTs they stand for, at
 * a gateway in front of an API (docs/phantom-tokens.md).
 */
export {
  createPhantomTokenExchanger,
  type PhantomExchangeStats,
  type PhantomTokenExchanger,
} from './create-phantom-token-exchanger.ts';
export {
  createRequestExchanger,
  type PhantomExchangeFailure,
  type PhantomExchangeOptions,
  type PhantomExchangeOutcome,
  replaceAuthorization,
} from './exchange-request.ts';
export { expressPhantomExchange } from './express.ts';
export {
  fastifyPhantomExchange,
  type WritPhantomFastifyOptions,
  writPhantomFastify,
} from './fastify.ts';
export { createNodePhantomExchange } from './node.ts';
export { isOpaqueAccessToken, opaqueTokenPrefix } from './opaque-token.ts';
export type { IntrospectionLimits, PhantomTokenExchangerOptions } from './options.ts';
export type { PhantomRejectEvent, PhantomRejectReason } from './reasons.ts';
export { type ExchangeUnavailableCode, ExchangeUnavailableError } from './unavailable-error.ts';
