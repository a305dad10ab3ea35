/**
 * RFC 8414 metadata that claims only what the service does today. There is no authorization or
 * token endpoint yet (they arrive with the OAuth surface), so:
 * - `response_types_supported` is REQUIRED and must be present: an empty list is the only true
 *   value with no authorization endpoint (any entry would send clients to an endpoint that
 *   does not exist);
 * - `grant_types_supported`, `response_modes_supported` and
 *   `token_endpoint_auth_methods_supported` are stated as empty, because omitting them means
 *   RFC 8414's defaults (authorization code and implicit; query and fragment;
 *   client_secret_basic), none of which the service offers.
 * Members RFC 8414 and its registry do not define carry the `writ_` prefix, so they can never
 * collide with a member registered later.
 */
export function authorizationServerMetadata(
  issuer: string,
  algorithms: readonly string[],
): Readonly<Record<string, unknown>> {
  return {
    issuer,
    jwks_uri: `${issuer}/.well-known/jwks.json`,
    response_types_supported: [],
    response_modes_supported: [],
    grant_types_supported: [],
    token_endpoint_auth_methods_supported: [],
    writ_access_token_signing_alg_values_supported: [...algorithms],
    writ_access_token_types_supported: ['at+jwt'],
    writ_revocation_stream_endpoint: `${issuer}/revocations/stream`,
    writ_revocation_snapshot_endpoint: `${issuer}/revocations`,
  };
}
