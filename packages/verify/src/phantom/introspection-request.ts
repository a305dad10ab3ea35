import { BodyTooLargeError, readCapped } from '../read-capped.ts';
import { ExchangeUnavailableError } from './unavailable-error.ts';

/** RFC 9701 §4's media type for a signed introspection response. */
export const introspectionJwtMediaType = 'application/token-introspection+jwt';

export interface IntrospectionEndpoint {
  readonly url: URL;
  /** `Basic …` for client_secret_basic, built once (RFC 6749 §2.3.1). */
  readonly authorization: string;
  readonly timeoutMs: number;
  readonly maxResponseBytes: number;
}

/** RFC 6749 §2.3.1: the client id and secret are form-encoded, then joined and base64-encoded. */
export function clientSecretBasic(clientId: string, clientSecret: string): string {
  const formEncode = (value: string): string =>
    new URLSearchParams({ v: value }).toString().slice(2);
  const pair = `${formEncode(clientId)}:${formEncode(clientSecret)}`;
  return `Basic ${Buffer.from(pair, 'utf8').toString('base64')}`;
}

const introspectionJwtContentType = /^application\/token-introspection\+jwt\s*(;|$)/i;

/**
 * POSTs one opaque token to the introspection endpoint and returns the signed answer, unverified.
 * Bounded like every fetch in this package: one timer for the whole exchange, the body read up to
 * `maxResponseBytes` and no further, no redirects (one could carry the token and the client
 * credentials to a host nobody configured), 200 only, and the RFC 9701 content type only, so a
 * plain JSON answer (a service that ignored `Accept`) is never taken for a signed one. Errors hold
 * a fixed message and the status: never the token, the credentials or a byte of the body.
 */
export async function requestIntrospection(
  endpoint: IntrospectionEndpoint,
  opaqueToken: string,
  signal: AbortSignal,
): Promise<string> {
  const timeout = new AbortController();
  const timer = setTimeout(() => timeout.abort(), endpoint.timeoutMs);
  try {
    let response: Response;
    try {
      response = await fetch(endpoint.url, {
        method: 'POST',
        redirect: 'error',
        signal: AbortSignal.any([signal, timeout.signal]),
        headers: {
          accept: introspectionJwtMediaType,
          authorization: endpoint.authorization,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: new URLSearchParams({
          token: opaqueToken,
          token_type_hint: 'access_token',
        }).toString(),
      });
    } catch (cause) {
      throw failed(timeout.signal.aborted, endpoint.timeoutMs, cause);
    }
    if (response.status !== 200) {
      await response.body?.cancel();
      throw new ExchangeUnavailableError(
        'introspection_failed',
        `the introspection endpoint answered ${response.status}`,
        { status: response.status },
      );
    }
    if (!introspectionJwtContentType.test(response.headers.get('content-type') ?? '')) {
      await response.body?.cancel();
      throw new ExchangeUnavailableError(
        'introspection_unreadable',
        `the introspection answer is not ${introspectionJwtMediaType}`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await readCapped(response, endpoint.maxResponseBytes);
    } catch (error) {
      if (error instanceof BodyTooLargeError) {
        throw new ExchangeUnavailableError(
          'introspection_unreadable',
          `the introspection answer is larger than ${endpoint.maxResponseBytes} bytes`,
        );
      }
      throw failed(timeout.signal.aborted, endpoint.timeoutMs, error);
    }
    // A JWS in compact form is ASCII; anything else fails the verify's alphabet check.
    return Buffer.from(bytes).toString('latin1');
  } finally {
    clearTimeout(timer);
  }
}

function failed(timedOut: boolean, timeoutMs: number, cause: unknown): ExchangeUnavailableError {
  return timedOut
    ? new ExchangeUnavailableError(
        'introspection_failed',
        `no complete introspection answer within ${timeoutMs} ms`,
      )
    : new ExchangeUnavailableError('introspection_failed', 'the introspection request failed', {
        cause,
      });
}
