import { isScopeToken } from '@writ/core';
import type { JSONWebKeySet } from 'jose';
import { acceptableClientJwks } from './client-jwks.ts';
import {
  CLIENT_AUTH_METHODS,
  type ClientAuthMethod,
  type ClientRecord,
  GRANT_TYPES,
  type GrantType,
} from './client-record.ts';
import { namesPublicHost } from './outbound-host-rule.ts';
import { acceptableBackchannelUri, acceptableRedirectUri } from './redirect-uri-rule.ts';
import type { RegistrationProblem } from './registration-problems.ts';

/** Client metadata as it arrives (RFC 7591 §2 names, plus Writ's `audiences` and `access_token_format`). */
const knownMembers = new Set([
  'client_name',
  'token_endpoint_auth_method',
  'redirect_uris',
  'grant_types',
  'response_types',
  'scope',
  'audiences',
  'jwks',
  'jwks_uri',
  'access_token_format',
  'dpop_bound_access_tokens',
  'backchannel_logout_uri',
  'post_logout_redirect_uris',
]);

/** What a registration leaves to the service: the id, the secret, the times. */
export type ValidClientMetadata = Omit<ClientRecord, 'clientId' | 'createdAt' | 'disabledAt'> & {
  readonly jwks: JSONWebKeySet | null;
};

export type ValidateResult =
  | { readonly ok: true; readonly metadata: ValidClientMetadata }
  | { readonly ok: false; readonly problem: RegistrationProblem };

export interface ValidateOptions {
  /**
   * `refuse` for the admin API (a typo is the operator's to fix); `ignore` for RFC 7591, which
   * says a server MUST ignore metadata it does not understand (nothing of it is stored).
   */
  readonly unknownMembers: 'refuse' | 'ignore';
  /** Allowed resources when the request names none: the service's own audience. */
  readonly defaultAudience: string;
  /** The name when the request gives none (RFC 7591 makes it optional); undefined: required. */
  readonly defaultName: string | undefined;
  /**
   * Whether the back-channel logout endpoint may be on this machine or a private network: yes
   * for an operator's registration, no for an outsider's (the service would call it).
   */
  readonly allowInternalBackchannel: boolean;
}

const invisibleOrControl = /\p{C}/u;
const uriUnsafe = /[\s\p{C}]/u;
const maxUris = 20;
const maxScopes = 50;
const maxScopeLength = 128;
const maxAudiences = 20;
const maxAudienceLength = 500;

function stringArray(value: unknown, max: number): string[] | undefined {
  if (!Array.isArray(value) || value.length > max) return;
  if (!value.every((item) => typeof item === 'string')) return;
  if (new Set(value).size !== value.length) return;
  return value;
}

function acceptableName(name: unknown): name is string {
  if (typeof name !== 'string') return false;
  const length = [...name].length;
  return length >= 1 && length <= 100 && !invisibleOrControl.test(name) && name.trim() !== '';
}

/**
 * The shape of the ids this service hands out (`wc_` + base64url, client-secret.ts). An ID
 * token's audience is its client's id (OIDC Core §2), so an access token whose audience looked
 * like one would pass that relying party's ID-token audience check; most relying parties never
 * read `typ`. The absolute-URI rule refuses these too; this says why, and holds if it loosens.
 */
const clientIdLike = /^wc_/i;

function acceptableAudience(audience: string): boolean {
  if (audience.length === 0 || audience.length > maxAudienceLength) return false;
  if (uriUnsafe.test(audience) || audience.includes('#')) return false;
  // RFC 8707 §2: an absolute URI. URL parsing demands a scheme, which is what makes it absolute.
  return URL.canParse(audience);
}

/**
 * The one validation every registration goes through (admin API, CLI, RFC 7591): a pipeline of
 * checks in the order a reader would ask them, each refusing with one typed problem. Allowlists
 * throughout; combinations that make no sense are refused rather than silently narrowed.
 */
export async function validateClientMetadata(
  body: unknown,
  options: ValidateOptions,
): Promise<ValidateResult> {
  const refuse = (problem: RegistrationProblem): ValidateResult => ({ ok: false, problem });
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return refuse('unknown_member');
  const input = body as Record<string, unknown>;
  if (
    options.unknownMembers === 'refuse' &&
    Object.keys(input).some((key) => !knownMembers.has(key))
  )
    return refuse('unknown_member');

  const name = input.client_name ?? options.defaultName;
  if (!acceptableName(name)) return refuse('invalid_client_name');

  // RFC 7591 §2: client_secret_basic when omitted.
  const authMethod = input.token_endpoint_auth_method ?? 'client_secret_basic';
  if (!(CLIENT_AUTH_METHODS as readonly unknown[]).includes(authMethod))
    return refuse('invalid_auth_method');
  const method = authMethod as ClientAuthMethod;
  const kind = method === 'none' ? 'public' : 'confidential';

  // RFC 7591 §2: authorization_code when omitted.
  const grants =
    input.grant_types === undefined ? ['authorization_code'] : stringArray(input.grant_types, 3);
  if (grants === undefined || grants.length === 0) return refuse('invalid_grant_types');
  if (!grants.every((grant) => (GRANT_TYPES as readonly string[]).includes(grant)))
    return refuse('invalid_grant_types');
  const grantTypes = grants as GrantType[];
  const usesCode = grantTypes.includes('authorization_code');
  const refreshes = grantTypes.includes('refresh_token');
  // A public client cannot keep a secret, so "client credentials" would be anyone's credentials;
  // a refresh token is only ever issued by authorization_code (RFC 6749 §4.4.3: never by client_credentials).
  if (kind === 'public' && grantTypes.includes('client_credentials'))
    return refuse('invalid_grant_types');
  if (refreshes && !usesCode) return refuse('invalid_grant_types');

  if (input.response_types !== undefined) {
    const responseTypes = stringArray(input.response_types, 1);
    const consistent =
      responseTypes !== undefined &&
      (usesCode
        ? responseTypes.length === 1 && responseTypes[0] === 'code'
        : responseTypes.length === 0);
    if (!consistent) return refuse('invalid_response_types');
  }

  const redirectRule = { allowPrivateUseScheme: kind === 'public' };
  const redirectUris =
    input.redirect_uris === undefined ? [] : stringArray(input.redirect_uris, maxUris);
  if (redirectUris === undefined) return refuse('invalid_redirect_uri');
  if (usesCode !== redirectUris.length > 0) return refuse('invalid_redirect_uri');
  if (!redirectUris.every((uri) => acceptableRedirectUri(uri, redirectRule)))
    return refuse('invalid_redirect_uri');

  if (input.scope !== undefined && typeof input.scope !== 'string') return refuse('invalid_scope');
  const scopes = input.scope === undefined || input.scope === '' ? [] : input.scope.split(' ');
  if (
    scopes.length > maxScopes ||
    new Set(scopes).size !== scopes.length ||
    !scopes.every((scope) => isScopeToken(scope) && scope.length <= maxScopeLength)
  )
    return refuse('invalid_scope');
  // ID tokens come only from the authorization endpoint; offline_access asks for refresh tokens.
  if (scopes.includes('openid') && !usesCode) return refuse('invalid_scope');
  if (scopes.includes('offline_access') && !refreshes) return refuse('invalid_scope');

  const audiences =
    input.audiences === undefined
      ? [options.defaultAudience]
      : stringArray(input.audiences, maxAudiences);
  if (audiences?.some((audience) => clientIdLike.test(audience)))
    return refuse('audience_is_client_id');
  if (audiences === undefined || audiences.length === 0 || !audiences.every(acceptableAudience))
    return refuse('invalid_audience');

  if (input.jwks_uri !== undefined) return refuse('jwks_uri_unsupported');
  let jwks: JSONWebKeySet | null = null;
  if (method === 'private_key_jwt') {
    const accepted = await acceptableClientJwks(input.jwks);
    if (accepted === undefined) return refuse('invalid_jwks');
    jwks = accepted;
  } else if (input.jwks !== undefined) {
    return refuse('invalid_jwks');
  }

  const format = input.access_token_format ?? 'jwt';
  if (format !== 'jwt' && format !== 'opaque') return refuse('invalid_access_token_format');

  const requireDpop = input.dpop_bound_access_tokens ?? false;
  if (typeof requireDpop !== 'boolean') return refuse('invalid_dpop_setting');

  const backchannel = input.backchannel_logout_uri ?? null;
  if (
    backchannel !== null &&
    !(
      typeof backchannel === 'string' &&
      usesCode &&
      acceptableBackchannelUri(backchannel) &&
      (options.allowInternalBackchannel || namesPublicHost(new URL(backchannel)))
    )
  )
    return refuse('invalid_backchannel_logout_uri');

  const postLogout =
    input.post_logout_redirect_uris === undefined
      ? []
      : stringArray(input.post_logout_redirect_uris, maxUris);
  if (
    postLogout === undefined ||
    (postLogout.length > 0 && !usesCode) ||
    !postLogout.every((uri) => acceptableRedirectUri(uri, redirectRule))
  )
    return refuse('invalid_post_logout_redirect_uri');

  return {
    ok: true,
    metadata: {
      name,
      kind,
      authMethod: method,
      redirectUris,
      grantTypes,
      scopes,
      audiences,
      accessTokenFormat: format,
      requireDpop,
      backchannelLogoutUri: backchannel,
      postLogoutRedirectUris: postLogout,
      jwks,
    },
  };
}
