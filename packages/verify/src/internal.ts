/**
 * `@writ/verify/internal`: helpers Writ's own packages share (`@writ/server`, `@writ/inspect`).
 * Not part of `@writ/verify`'s public API and under no semver promise: any release may change or
 * remove them. Resource servers import from `@writ/verify` and its adapter subpaths only.
 */
export {
  type CappedJson,
  CappedJsonError,
  type CappedJsonFailure,
  type CappedJsonRequest,
  fetchCappedJson,
} from './fetch-capped-json.ts';
export { cookieValues, defaultAccessCookieName } from './http/cookies.ts';
export { csrfClaimFor } from './http/csrf.ts';
export { BodyTooLargeError, readCapped } from './read-capped.ts';
/** The service's introspection evaluates the revocation log exactly as consumers' mirrors do. */
export { RevocationMirror } from './revocation/mirror.ts';
