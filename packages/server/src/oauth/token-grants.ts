import { authorizationCodeGrant } from '../authorize/authorization-code-grant.ts';
import { clientCredentialsGrant } from './client-credentials-grant.ts';
import type { OAuthContext } from './oauth-context.ts';
import { refreshTokenGrant } from './refresh-token-grant.ts';
import type { TokenGrant } from './token-grant.ts';

/**
 * Every grant `POST /oauth/token` knows, one line each (SHARED: the authorize module adds its
 * authorization_code line). A `grant_type` not listed here is `unsupported_grant_type`: implicit
 * and password grants do not exist.
 */
export function tokenGrants(context: OAuthContext): ReadonlyMap<string, TokenGrant> {
  const grants: TokenGrant[] = [
    authorizationCodeGrant(context),
    clientCredentialsGrant(context),
    refreshTokenGrant(context),
  ];
  return new Map(grants.map((grant) => [grant.grantType, grant]));
}
