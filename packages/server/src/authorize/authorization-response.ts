import type { AuthorizeError } from './authorize-errors.ts';

/**
 * The URL an authorization response sends the browser to: the registered redirect URI with
 * its own query kept (RFC 6749 §3.1.2), plus the result, `state` when the client sent one, and
 * `iss` always (RFC 9207), so a client talking to several servers can tell which one answered
 * and a mix-up attacker cannot pass another server's code off as ours.
 */
export function authorizationResponseUrl(
  redirectUri: string,
  issuer: string,
  state: string | null,
  result: { readonly code: string } | AuthorizeError,
): string {
  const url = new URL(redirectUri);
  if ('code' in result) {
    url.searchParams.append('code', result.code);
  } else {
    url.searchParams.append('error', result.error);
    url.searchParams.append('error_description', result.description);
  }
  if (state !== null) url.searchParams.append('state', state);
  url.searchParams.append('iss', issuer);
  return url.href;
}
