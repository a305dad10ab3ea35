/** How a client proves who it is at the token endpoint (RFC 6749 §2.3, RFC 7523). */
export type ClientAuthMethod =
  | 'client_secret_basic'
  | 'client_secret_post'
  | 'private_key_jwt'
  | 'none';

/** The grants Writ implements. Implicit and password grants do not exist. */
export type GrantType = 'authorization_code' | 'refresh_token' | 'client_credentials';

export const CLIENT_AUTH_METHODS: readonly ClientAuthMethod[] = [
  'client_secret_basic',
  'client_secret_post',
  'private_key_jwt',
  'none',
];

export const GRANT_TYPES: readonly GrantType[] = [
  'authorization_code',
  'refresh_token',
  'client_credentials',
];

/**
 * A registered OAuth client as every other module sees it. Its secret hash and public JWKS stay
 * inside the clients module (authenticateClient is the only reader). Times in ms.
 */
export interface ClientRecord {
  /** Random, 'wc_' + 22 base64url chars. */
  readonly clientId: string;
  readonly name: string;
  /** public ⇔ authMethod 'none'; PKCE is required for every client anyway. */
  readonly kind: 'confidential' | 'public';
  readonly authMethod: ClientAuthMethod;
  /** Matched exactly (string equality), never by prefix or pattern. */
  readonly redirectUris: readonly string[];
  readonly grantTypes: readonly GrantType[];
  /** Allowed scopes (openid, profile, email, offline_access, api…). */
  readonly scopes: readonly string[];
  /** Allowed resources (RFC 8707); the first is the default. */
  readonly audiences: readonly string[];
  /** opaque = phantom token. */
  readonly accessTokenFormat: 'jwt' | 'opaque';
  readonly requireDpop: boolean;
  readonly backchannelLogoutUri: string | null;
  readonly postLogoutRedirectUris: readonly string[];
  readonly createdAt: number;
  readonly disabledAt: number | null;
}
