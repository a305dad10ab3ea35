import { WritClientError } from './errors.ts';
import { isReplayableBody } from './replayable-body.ts';

/** A caller's request, normalised once so each attempt can be built from it afresh. */
export interface OutgoingRequest {
  /** An absolute URL, or the caller's own `Request`. */
  readonly input: string | Request;
  /** The absolute URL `input` points to. */
  readonly url: string;
  readonly init: RequestInit;
  readonly method: string;
  /** The caller's headers; every attempt copies them before adding credentials. */
  readonly headers: Headers;
  readonly signal: AbortSignal | undefined;
  /** Whether the request may be sent again after a 401 (or along a 307/308 redirect). */
  readonly replayable: boolean;
  /** The caller's redirect mode (`fetch`'s default, `follow`, when it gave none). */
  readonly redirect: RequestRedirect;
}

/**
 * Relative URLs resolve against the page in a browser (as `fetch` itself does) and against the
 * issuer elsewhere, where `fetch` would refuse them.
 */
function baseUrl(issuer: string): string {
  return typeof location !== 'undefined' && typeof location.href === 'string'
    ? location.href
    : `${issuer}/`;
}

function urlOf(input: RequestInfo | URL, issuer: string): URL {
  const raw = input instanceof Request ? input.url : input instanceof URL ? input.href : input;
  try {
    return new URL(raw, baseUrl(issuer));
  } catch {
    throw new TypeError('invalid URL');
  }
}

/**
 * Resolves the target and refuses any origin the client was not told to trust, before anything
 * is sent: credentials go nowhere else.
 */
export function prepareRequest(
  input: RequestInfo | URL,
  init: RequestInit,
  issuer: string,
  allowedOrigins: ReadonlySet<string>,
): OutgoingRequest {
  const url = urlOf(input, issuer);
  if (!allowedOrigins.has(url.origin)) throw new WritClientError('origin_not_allowed');
  const fromRequest = input instanceof Request ? input : undefined;
  const method = (init.method ?? fromRequest?.method ?? 'GET').toUpperCase();
  const headers = new Headers(init.headers ?? fromRequest?.headers);
  // A Request's own body is a stream whatever it was built from, so it counts as one-shot; a
  // body given in `init` is judged by its type.
  const replayable =
    init.body !== undefined
      ? isReplayableBody(init.body)
      : fromRequest === undefined || fromRequest.body === null;
  return {
    input: fromRequest ?? url.href,
    url: url.href,
    init,
    method,
    headers,
    signal: init.signal ?? fromRequest?.signal ?? undefined,
    replayable,
    redirect: init.redirect ?? fromRequest?.redirect ?? 'follow',
  };
}
