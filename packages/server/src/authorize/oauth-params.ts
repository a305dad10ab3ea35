/**
 * The parameters of an authorization request's query string, with the names given more than
 * once. The authorization endpoint needs to know *which* were repeated (oauth/form-params.ts
 * only says that one was): a repeated `client_id` or `redirect_uri` means the redirect URI
 * cannot be trusted and the error is shown on the service's page, any other one is
 * `invalid_request` sent to the redirect URI (RFC 6749 §4.1.2.1). Never "the first" or "the
 * last": two parsers of one URL that picked differently would each see a different request.
 * As in oauth/form-params.ts, a parameter without a value counts as omitted (RFC 6749 §3.1)
 * but still as sent for the repetition rule, and a `%` not followed by two hex digits (which
 * URLSearchParams would silently turn into U+FFFD) makes the whole query malformed.
 */
export interface OAuthParams {
  readonly params: ReadonlyMap<string, string>;
  /** Names that appeared more than once. */
  readonly repeated: ReadonlySet<string>;
}

const maxParameters = 64;
const brokenPercent = /%(?![0-9a-fA-F]{2})/;

export function oauthParamsOf(entries: Iterable<[string, string]>): OAuthParams | undefined {
  const params = new Map<string, string>();
  const seen = new Set<string>();
  const repeated = new Set<string>();
  let count = 0;
  for (const [name, value] of entries) {
    count += 1;
    if (count > maxParameters) return undefined;
    if (seen.has(name)) repeated.add(name);
    seen.add(name);
    if (value !== '' && !repeated.has(name)) params.set(name, value);
  }
  return { params, repeated };
}

/** The query string's parameters, or undefined when it is malformed or holds too many. */
export function queryParamsOf(url: string): OAuthParams | undefined {
  const question = url.indexOf('?');
  const query = question === -1 ? '' : url.slice(question + 1);
  if (brokenPercent.test(query)) return undefined;
  return oauthParamsOf(new URLSearchParams(query));
}
