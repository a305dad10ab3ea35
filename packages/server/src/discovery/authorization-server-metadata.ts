import { clientAssertionAlgorithms } from '../clients/client-jwks.ts';
import { tokenEndpointDpopAlgorithms } from '../oauth/dpop-at-token-endpoint.ts';
import { introspectionEndpointPath } from '../oauth/introspection-routes.ts';
import { revocationEndpointPath } from '../oauth/revoke-routes.ts';
import { tokenEndpointPath } from '../oauth/token-routes.ts';

export interface MetadataFacts {
  readonly issuer: string;
  /** Algorithms of the published signing keys (access tokens, ID tokens, introspection answers). */
  readonly algorithms: readonly string[];
  /** RFC 7591 registration is off by default; advertised only when on. */
  readonly dynamicClientRegistration: boolean;
}

/** The paths issue 13's contract fixes; discovery advertises exactly these. */
const paths = {
  authorization: '/oauth/authorize',
  pushedAuthorizationRequest: '/oauth/par',
  token: tokenEndpointPath,
  introspection: introspectionEndpointPath,
  revocation: revocationEndpointPath,
  registration: '/oauth/register',
  userinfo: '/oauth/userinfo',
  endSession: '/oauth/logout',
  jwks: '/.well-known/jwks.json',
} as const;

const clientAuthMethods = ['client_secret_basic', 'client_secret_post', 'private_key_jwt'];

/**
 * One document for RFC 8414 (`/.well-known/oauth-authorization-server`) and OpenID Connect
 * Discovery 1.0 (`/.well-known/openid-configuration`), claiming only what the service does:
 * - every endpoint that exists, and no other (registration only when enabled);
 * - members whose absence would mean a default the service does not offer are stated: response
 *   modes (absent: query and fragment), `request_uri_parameter_supported` (absent: true in OIDC);
 * - members outside the registries carry `writ_`, so a later registered one cannot collide.
 */
export function authorizationServerMetadata(
  facts: MetadataFacts,
): Readonly<Record<string, unknown>> {
  const { issuer, algorithms } = facts;
  return {
    issuer,
    authorization_endpoint: `${issuer}${paths.authorization}`,
    token_endpoint: `${issuer}${paths.token}`,
    jwks_uri: `${issuer}${paths.jwks}`,
    pushed_authorization_request_endpoint: `${issuer}${paths.pushedAuthorizationRequest}`,
    introspection_endpoint: `${issuer}${paths.introspection}`,
    revocation_endpoint: `${issuer}${paths.revocation}`,
    userinfo_endpoint: `${issuer}${paths.userinfo}`,
    end_session_endpoint: `${issuer}${paths.endSession}`,
    ...(facts.dynamicClientRegistration
      ? { registration_endpoint: `${issuer}${paths.registration}` }
      : {}),
    scopes_supported: ['openid', 'email', 'offline_access'],
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token', 'client_credentials'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: [...clientAuthMethods, 'none'],
    token_endpoint_auth_signing_alg_values_supported: [...clientAssertionAlgorithms],
    introspection_endpoint_auth_methods_supported: [...clientAuthMethods],
    introspection_endpoint_auth_signing_alg_values_supported: [...clientAssertionAlgorithms],
    introspection_signing_alg_values_supported: [...algorithms],
    revocation_endpoint_auth_methods_supported: [...clientAuthMethods, 'none'],
    revocation_endpoint_auth_signing_alg_values_supported: [...clientAssertionAlgorithms],
    dpop_signing_alg_values_supported: [...tokenEndpointDpopAlgorithms],
    authorization_response_iss_parameter_supported: true,
    require_pushed_authorization_requests: false,
    request_parameter_supported: false,
    request_uri_parameter_supported: false,
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: [...algorithms],
    claims_supported: [
      'iss',
      'sub',
      'aud',
      'exp',
      'iat',
      'auth_time',
      'nonce',
      'at_hash',
      'sid',
      'email',
      'email_verified',
    ],
    // Back-Channel Logout 1.0: logout tokens name the browser session as `sid` when there was one.
    backchannel_logout_supported: true,
    backchannel_logout_session_supported: true,
    writ_access_token_signing_alg_values_supported: [...algorithms],
    writ_access_token_types_supported: ['at+jwt'],
    writ_revocation_stream_endpoint: `${issuer}/revocations/stream`,
    writ_revocation_snapshot_endpoint: `${issuer}/revocations`,
  };
}
