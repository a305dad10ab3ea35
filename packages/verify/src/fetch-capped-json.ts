import { BodyTooLargeError, readCapped } from './read-capped.ts';

/** How one JSON download is bounded and what it must look like. */
export interface CappedJsonRequest {
  /** Abandon the whole exchange (connect, headers and body) after this long. */
  readonly timeoutMs: number;
  /** Refuse (and stop downloading) a body larger than this. */
  readonly maxBytes: number;
  /** Sent as `Accept`; the answer's `Content-Type` must be JSON whatever is listed here. */
  readonly accept?: string;
  readonly headers?: Readonly<Record<string, string>>;
  /** Aborts the request early (a caller's own shutdown), besides the timeout. */
  readonly signal?: AbortSignal;
}

export interface CappedJson {
  readonly body: unknown;
  readonly headers: Headers;
}

export type CappedJsonFailure =
  | 'request_failed'
  | 'timeout'
  | 'unexpected_status'
  | 'not_json_content_type'
  | 'too_large'
  | 'not_json';

/**
 * Why a JSON download failed. Messages are fixed per code plus the status or limit: never a byte
 * of the body, which may be an attacker's text or, for the revocation log, entries that must not
 * reach logs. `cause` is set only for a failed request (the network error, never a body).
 */
export class CappedJsonError extends Error {
  override readonly name = 'CappedJsonError';
  readonly code: CappedJsonFailure;
  /** The HTTP status, when the server answered one other than 200. */
  readonly status: number | undefined;

  constructor(
    code: CappedJsonFailure,
    message: string,
    options: { readonly status?: number; readonly cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}

/** `application/json`, or a JSON-based type such as `application/jwk-set+json`, any parameters. */
const jsonContentType = /^application\/([a-z0-9.+-]+\+)?json\s*(;|$)/i;

/**
 * GETs one JSON document, the only way Writ's packages fetch one (key sets, revocation snapshot
 * pages, issuer metadata): bounded in time and size; no redirect (it could lead to keys or a log
 * the operator never named, or carry credentials elsewhere); 200 only; a JSON content type, so an
 * HTML error page or a proxy's login form is refused before it is parsed.
 */
export async function fetchCappedJson(url: URL, request: CappedJsonRequest): Promise<CappedJson> {
  // A timer of our own rather than AbortSignal.timeout, which would keep the process alive for
  // the whole timeout after a quick answer.
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), request.timeoutMs);
  const signal =
    request.signal === undefined
      ? timeout.signal
      : AbortSignal.any([request.signal, timeout.signal]);
  try {
    let response: Response;
    try {
      response = await fetch(url, {
        signal,
        redirect: 'error',
        headers: { ...request.headers, accept: request.accept ?? 'application/json' },
      });
    } catch (cause) {
      if (timeout.signal.aborted) throw timedOut(request.timeoutMs);
      throw new CappedJsonError('request_failed', 'the request failed', { cause });
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new CappedJsonError('unexpected_status', `the server answered ${response.status}`, {
        status: response.status,
      });
    }
    if (!jsonContentType.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      throw new CappedJsonError(
        'not_json_content_type',
        'the answer is not JSON (its content type is not application/json)',
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(response, request.maxBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw new CappedJsonError(
          'too_large',
          `the answer is larger than ${request.maxBytes} bytes`,
        );
      }
      if (timeout.signal.aborted) throw timedOut(request.timeoutMs);
      throw new CappedJsonError('request_failed', 'the answer could not be read', {
        cause: error,
      });
    }
    try {
      return {
        body: JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes)),
        headers: response.headers,
      };
    } catch {
      // No cause: V8's parse errors quote the body.
      throw new CappedJsonError('not_json', 'the answer is not JSON');
    }
  } finally {
    clearTimeout(timer);
  }
}

function timedOut(timeoutMs: number): CappedJsonError {
  return new CappedJsonError('timeout', `no complete answer within ${timeoutMs} ms`);
}
