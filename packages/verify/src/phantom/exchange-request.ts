import {
  ConfigurationError,
  InsufficientScopeError,
  InvalidTokenError,
  isScopeToken,
} from '@writ/core';
import type { BearerRequest } from '../http/authenticate.ts';
import { urlCarriesToken } from '../http/url-token.ts';
import type { PhantomTokenExchanger } from './create-phantom-token-exchanger.ts';
import { ExchangeUnavailableError } from './unavailable-error.ts';

/** Options shared by the phantom-token adapters. */
export interface PhantomExchangeOptions {
  /** Scopes every request must carry (403 `insufficient_scope` otherwise). */
  readonly requiredScopes?: readonly string[];
  /** `realm` for the `WWW-Authenticate` challenge. */
  readonly realm?: string;
  /** `Retry-After` (seconds) on a 503 when the token service could not be asked. Default 5. */
  readonly retryAfterSec?: number;
}

export interface PhantomExchangeFailure {
  readonly status: 400 | 401 | 403 | 503;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

export type PhantomExchangeOutcome =
  | {
      readonly ok: true;
      /** The at+jwt the opaque token stands for. */
      readonly accessToken: string;
      /** `Bearer <at+jwt>`: the `Authorization` value to send upstream instead of the client's. */
      readonly authorization: string;
    }
  | { readonly ok: false; readonly failure: PhantomExchangeFailure };

/**
 * A `wat_` credential in a query string (it would reach upstream and its logs), at a boundary: a
 * random base64url value (a cursor, a signature) that happens to contain `wat_` is not one.
 */
const opaqueTokenInUrl = /(?<![A-Za-z0-9_-])wat_[A-Za-z0-9_-]{20,}/;

/**
 * True for a URL the gateway refuses to forward: one carrying an access token (RFC 6750 §2.3's
 * `access_token`, anything JWT-shaped, or an opaque `wat_` token). The URL is forwarded as it is,
 * so a token in it would reach the upstream API — which must never see an opaque token — and
 * every log on the way.
 */
function urlCarriesAnyToken(url: string): boolean {
  if (urlCarriesToken(url)) return true;
  const queryStart = url.indexOf('?');
  if (queryStart === -1) return false;
  const query = url.slice(queryStart + 1);
  let decoded = query;
  try {
    decoded = decodeURIComponent(query.replace(/\+/g, ' '));
  } catch {
    // A malformed escape: judge the raw text, which still shows a literal `wat_`.
  }
  return opaqueTokenInUrl.test(query) || opaqueTokenInUrl.test(decoded);
}

const bearerValue = /^bearer(?: +(.*?))? *$/is;
const quotedStringSafe = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

function challenge(realm: string | undefined, params: string): string {
  const parts = realm === undefined ? [] : [`realm="${realm}"`];
  if (params !== '') parts.push(params);
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`;
}

function failure(
  status: PhantomExchangeFailure['status'],
  extra: Readonly<Record<string, string>>,
  body: Record<string, string>,
): PhantomExchangeOutcome {
  return {
    ok: false,
    failure: {
      status,
      headers: {
        'content-type': 'application/json; charset=utf-8',
        'cache-control': 'no-store',
        ...extra,
      },
      body: JSON.stringify(body),
    },
  };
}

/**
 * The request-level half of every phantom adapter: refuses tokens in URLs and repeated
 * `Authorization` headers (400), reads exactly one bearer credential, exchanges it, and builds the
 * answer otherwise: 401 `Bearer` without a token, 401 `Bearer error="invalid_token"` for any
 * refused token (byte-identical whatever the reason, a JWT presented directly included), 403 for a
 * missing scope, 503 `temporarily_unavailable` when the token service could not be asked.
 */
export function createRequestExchanger(
  exchanger: PhantomTokenExchanger,
  options: PhantomExchangeOptions = {},
): (request: BearerRequest) => Promise<PhantomExchangeOutcome> {
  const { realm } = options;
  if (realm !== undefined && !quotedStringSafe.test(realm)) {
    throw new ConfigurationError('realm must be printable ASCII without quotes or backslashes');
  }
  if (options.requiredScopes !== undefined && !options.requiredScopes.every(isScopeToken)) {
    throw new ConfigurationError('requiredScopes must be scope tokens (RFC 6749 §3.3)');
  }
  const retryAfterSec = options.retryAfterSec ?? 5;
  if (!Number.isInteger(retryAfterSec) || retryAfterSec < 1 || retryAfterSec > 3600) {
    throw new ConfigurationError('retryAfterSec must be an integer from 1 to 3600');
  }
  const context =
    options.requiredScopes === undefined ? undefined : { requiredScopes: options.requiredScopes };
  const invalidRequest = failure(
    400,
    { 'www-authenticate': challenge(realm, 'error="invalid_request"') },
    { error: 'invalid_request' },
  );
  const noToken = failure(
    401,
    { 'www-authenticate': challenge(realm, '') },
    { error: 'unauthorized' },
  );
  const invalidToken = failure(
    401,
    { 'www-authenticate': challenge(realm, 'error="invalid_token"') },
    { error: 'invalid_token' },
  );
  const unavailable = failure(
    503,
    { 'retry-after': String(retryAfterSec) },
    { error: 'temporarily_unavailable' },
  );

  const refused = (error: unknown): PhantomExchangeOutcome => {
    if (error instanceof InvalidTokenError) return invalidToken;
    if (error instanceof ExchangeUnavailableError) return unavailable;
    if (error instanceof InsufficientScopeError) {
      const scope = error.requiredScopes.join(' ');
      return failure(
        403,
        { 'www-authenticate': challenge(realm, `error="insufficient_scope", scope="${scope}"`) },
        { error: 'insufficient_scope', scope },
      );
    }
    throw error;
  };

  return async (request) => {
    if (urlCarriesAnyToken(request.url)) return invalidRequest;
    if (request.authorization.length > 1) return invalidRequest;
    const [value] = request.authorization;
    const match = value === undefined ? null : bearerValue.exec(value);
    if (match === null) return noToken;
    const credential = match[1];
    if (credential === undefined || credential === '') return invalidToken;
    try {
      const accessToken = await exchanger.exchange(credential, context);
      return { ok: true, accessToken, authorization: `Bearer ${accessToken}` };
    } catch (error) {
      return refused(error);
    }
  };
}

interface MutableNodeRequest {
  readonly headers: Record<string, string | string[] | undefined>;
  readonly rawHeaders: string[];
}

/**
 * Puts the exchanged `Authorization` value on a node:http request, in both the parsed and the raw
 * header list, so whatever forwards the request next — a proxy reading `headers` or one replaying
 * `rawHeaders` — sends the JWT and never the opaque token.
 */
export function replaceAuthorization(request: MutableNodeRequest, authorization: string): void {
  request.headers.authorization = authorization;
  const raw = request.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    if ((raw[i] ?? '').toLowerCase() === 'authorization') raw[i + 1] = authorization;
  }
}
