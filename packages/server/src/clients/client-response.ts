import type { ClientRecord } from './client-record.ts';

/**
 * A client as the admin API and RFC 7591 §3.2.1 answer it: the registered metadata under their
 * RFC 7591 names, times in seconds. Never a secret hash or anything private; the secret itself
 * only in the answer that created or rotated it.
 */
export function clientResponse(
  client: ClientRecord,
  clientSecret?: string,
): Record<string, unknown> {
  const usesCode = client.grantTypes.includes('authorization_code');
  return {
    client_id: client.clientId,
    ...(clientSecret === undefined
      ? {}
      : { client_secret: clientSecret, client_secret_expires_at: 0 }),
    client_id_issued_at: Math.floor(client.createdAt / 1000),
    client_name: client.name,
    token_endpoint_auth_method: client.authMethod,
    grant_types: client.grantTypes,
    response_types: usesCode ? ['code'] : [],
    redirect_uris: client.redirectUris,
    scope: client.scopes.join(' '),
    audiences: client.audiences,
    access_token_format: client.accessTokenFormat,
    dpop_bound_access_tokens: client.requireDpop,
    ...(client.backchannelLogoutUri === null
      ? {}
      : { backchannel_logout_uri: client.backchannelLogoutUri }),
    post_logout_redirect_uris: client.postLogoutRedirectUris,
    disabled_at: client.disabledAt === null ? null : Math.floor(client.disabledAt / 1000),
  };
}
