import type { ClientRecord } from '../clients/client-record.ts';
import { findClient } from '../clients/find-client.ts';
import type { ShownProblem } from './authorize-errors.ts';
import type { OAuthParams } from './oauth-params.ts';

export type ClientRedirect =
  | { readonly ok: true; readonly client: ClientRecord; readonly redirectUri: string }
  | { readonly ok: false; readonly problem: ShownProblem };

/**
 * The first checks of every authorization request: a live client, and a redirect URI that is
 * exactly one it registered. Until both hold nothing may be sent to the redirect URI (RFC 6749
 * §4.1.2.1): an open redirector would hand codes or phishing pages to whoever wrote the link.
 * `redirect_uri` is required even for a client with one registered URI (OIDC Core requires it,
 * and the token request then always has one to compare).
 */
export async function resolveClientRedirect(
  context: Parameters<typeof findClient>[0],
  input: OAuthParams,
): Promise<ClientRedirect> {
  const clientId = input.params.get('client_id');
  if (clientId === undefined || input.repeated.has('client_id'))
    return { ok: false, problem: 'invalid_client' };
  const client = await findClient(context, clientId);
  if (client === undefined) return { ok: false, problem: 'invalid_client' };
  return registeredRedirectUri(client, input);
}

/** The request's `redirect_uri` if it is, byte for byte, one the client registered. */
export function registeredRedirectUri(client: ClientRecord, input: OAuthParams): ClientRedirect {
  const redirectUri = input.params.get('redirect_uri');
  if (
    redirectUri === undefined ||
    input.repeated.has('redirect_uri') ||
    !client.redirectUris.includes(redirectUri)
  )
    return { ok: false, problem: 'invalid_redirect_uri' };
  return { ok: true, client, redirectUri };
}
