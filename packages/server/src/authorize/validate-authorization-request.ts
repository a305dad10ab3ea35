import { isScopeToken } from '@writ/core';
import type { ClientRecord } from '../clients/client-record.ts';
import type { AuthorizationRequest } from './authorization-request.ts';
import type { AuthorizeError } from './authorize-errors.ts';
import type { OAuthParams } from './oauth-params.ts';
import { isS256Challenge } from './pkce.ts';

/**
 * The checks of an authorization request once its client and redirect URI are known to be
 * genuine (resolve-client-redirect.ts), in the order the specifications give them. Each failure
 * is a fixed text: the client learns which rule it broke, never an echo of its input.
 */

/** Longest `state`, `nonce` accepted; longer ones are refused rather than cut. */
const maxStateLength = 1024;
const maxNonceLength = 512;
const maxAgeShape = /^(0|[1-9][0-9]{0,8})$/;
/** Printable ASCII, as every client library generates (and no control characters to log). */
const printable = /^[\x20-\x7e]*$/;

export type AuthorizationCheck =
  | { readonly ok: true; readonly request: AuthorizationRequest }
  | ({ readonly ok: false } & AuthorizeError);

function refuse(error: AuthorizeError['error'], description: string): AuthorizationCheck {
  return { ok: false, error, description };
}

/** The `state` to send back with an error, when there is one that can be sent back. */
export function echoableState(input: OAuthParams): string | null {
  const state = input.params.get('state');
  if (state === undefined || input.repeated.has('state')) return null;
  return state.length <= maxStateLength && printable.test(state) ? state : null;
}

export function checkAuthorizationParameters(
  client: ClientRecord,
  redirectUri: string,
  input: OAuthParams,
): AuthorizationCheck {
  const { params } = input;
  if (input.repeated.size > 0) return refuse('invalid_request', 'A parameter was given twice.');
  if (params.has('request'))
    return refuse('request_not_supported', 'Request objects (JAR) are not supported; use PAR.');
  if (params.has('request_uri'))
    return refuse(
      'invalid_request',
      "request_uri is only accepted from this service's PAR endpoint.",
    );
  const responseType = params.get('response_type');
  if (responseType === undefined) return refuse('invalid_request', 'response_type is required.');
  if (responseType !== 'code')
    return refuse('unsupported_response_type', 'Only response_type=code is supported.');
  const responseMode = params.get('response_mode');
  if (responseMode !== undefined && responseMode !== 'query')
    return refuse('invalid_request', 'Only response_mode=query is supported.');
  if (!client.grantTypes.includes('authorization_code'))
    return refuse('unauthorized_client', 'This client may not use the authorization code grant.');

  const challenge = params.get('code_challenge');
  const method = params.get('code_challenge_method');
  if (challenge === undefined)
    return refuse('invalid_request', 'code_challenge is required (PKCE).');
  if (method !== 'S256')
    return refuse('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
  if (!isS256Challenge(challenge))
    return refuse('invalid_request', 'code_challenge is not an S256 challenge.');

  const scopeParam = params.get('scope');
  if (scopeParam === undefined || scopeParam.trim() === '')
    return refuse('invalid_scope', 'scope is required.');
  const requested = scopeParam.split(' ').filter((member) => member !== '');
  if (!requested.every(isScopeToken)) return refuse('invalid_scope', 'scope is malformed.');
  if (!requested.every((member) => client.scopes.includes(member)))
    return refuse('invalid_scope', 'A requested scope is not allowed for this client.');
  const scope = [...new Set(requested)].join(' ');

  const resource = params.get('resource');
  const audience = resource ?? client.audiences[0];
  if (audience === undefined)
    return refuse('invalid_target', 'This client has no resource it may ask tokens for.');
  if (resource !== undefined && !client.audiences.includes(resource))
    return refuse('invalid_target', 'The resource is not one this client may ask tokens for.');

  const state = params.get('state');
  if (state !== undefined && (state.length > maxStateLength || !printable.test(state)))
    return refuse(
      'invalid_request',
      'state is too long or holds characters outside printable ASCII.',
    );
  const nonce = params.get('nonce');
  if (nonce !== undefined && (nonce.length > maxNonceLength || !printable.test(nonce)))
    return refuse(
      'invalid_request',
      'nonce is too long or holds characters outside printable ASCII.',
    );

  const promptParam = params.get('prompt');
  const prompt = promptParam === 'none' || promptParam === 'login' ? promptParam : null;
  if (promptParam !== undefined && prompt === null)
    return refuse('invalid_request', 'prompt must be none or login.');
  const maxAgeParam = params.get('max_age');
  if (maxAgeParam !== undefined && !maxAgeShape.test(maxAgeParam))
    return refuse('invalid_request', 'max_age must be a non-negative integer.');

  return {
    ok: true,
    request: {
      clientId: client.clientId,
      redirectUri,
      scope,
      audience,
      codeChallenge: challenge,
      state: state ?? null,
      nonce: nonce ?? null,
      prompt,
      maxAgeSec: maxAgeParam === undefined ? null : Number(maxAgeParam),
    },
  };
}

/**
 * Whether a request validated earlier (pushed, or waiting on the sign-in page) is still within
 * what its client may ask for: an operator may have narrowed the registration since.
 */
export function stillAllowed(client: ClientRecord, request: AuthorizationRequest): boolean {
  return (
    client.clientId === request.clientId &&
    client.grantTypes.includes('authorization_code') &&
    client.redirectUris.includes(request.redirectUri) &&
    client.audiences.includes(request.audience) &&
    request.scope.split(' ').every((member) => client.scopes.includes(member))
  );
}
