/**
 * An authorization request that passed every check (validate-authorization-request.ts), in the
 * shape it is held in (JSON: pushed requests, the sign-in page's pending request) and turned
 * into a code. `null` where the client sent nothing.
 */
export interface AuthorizationRequest {
  readonly clientId: string;
  /** One of the client's registered redirect URIs, exactly as registered. */
  readonly redirectUri: string;
  /** Space-separated, each a scope the client is allowed, no repeats. */
  readonly scope: string;
  /** The resource (RFC 8707): the one asked for, or the client's first audience. */
  readonly audience: string;
  /** RFC 7636 S256 challenge. */
  readonly codeChallenge: string;
  readonly state: string | null;
  /** Carried into the ID token (OIDC Core §3.1.2.1). */
  readonly nonce: string | null;
  readonly prompt: 'none' | 'login' | null;
  /** Longest time since the user signed in that the client accepts (OIDC `max_age`). */
  readonly maxAgeSec: number | null;
}

export function wantsIdToken(request: Pick<AuthorizationRequest, 'scope'>): boolean {
  return request.scope.split(' ').includes('openid');
}
