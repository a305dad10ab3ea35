import { CappedJsonError, fetchCappedJson } from '../fetch-capped-json.ts';
import { RevocationSyncError } from './sync-error.ts';

/** The token service's revocation endpoints and this consumer's credentials for them. */
export interface RevocationService {
  readonly snapshotUrl: URL;
  readonly streamUrl: URL;
  readonly authorization: string;
}

/** Entries per snapshot page: the protocol's default, well under its maximum of 5000. */
export const snapshotPageLimit = 1000;
/** A page of 1000 entries is far below this; anything larger is not a snapshot page. */
const maxSnapshotBytes = 8 * 1024 * 1024;
/** A snapshot request that has not completed by then is abandoned and retried. */
const snapshotTimeoutMs = 10_000;

function endpoint(base: URL, path: string): URL {
  const url = new URL(base);
  url.pathname = `${base.pathname.replace(/\/+$/, '')}${path}`;
  return url;
}

export function revocationService(base: URL, credentials: string): RevocationService {
  return {
    snapshotUrl: endpoint(base, '/revocations'),
    streamUrl: endpoint(base, '/revocations/stream'),
    authorization: `Bearer ${credentials}`,
  };
}

/**
 * Sends a GET the way every revocation request goes: with the consumer key, following no
 * redirect (that could carry the key elsewhere or lead the mirror to another log), 200 only.
 */
async function get(
  url: URL,
  service: RevocationService,
  accept: string,
  extraHeaders: Record<string, string>,
  signal: AbortSignal,
): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal,
      redirect: 'error',
      headers: { authorization: service.authorization, accept, ...extraHeaders },
    });
  } catch (cause) {
    throw new RevocationSyncError(`request to ${url.pathname} failed`, { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    const hint =
      response.status === 401 || response.status === 403 ? ' (is the consumer key valid?)' : '';
    throw new RevocationSyncError(`${url.pathname} answered ${response.status}${hint}`, {
      status: response.status,
    });
  }
  return response;
}

/** Fetches one snapshot page (`GET /revocations?after=…&limit=…`) and returns its JSON body. */
export async function fetchSnapshotPage(
  service: RevocationService,
  after: number,
  signal: AbortSignal,
): Promise<unknown> {
  const url = new URL(service.snapshotUrl);
  url.searchParams.set('after', String(after));
  url.searchParams.set('limit', String(snapshotPageLimit));
  try {
    const { body } = await fetchCappedJson(url, {
      timeoutMs: snapshotTimeoutMs,
      maxBytes: maxSnapshotBytes,
      headers: { authorization: service.authorization },
      signal,
    });
    return body;
  } catch (cause) {
    // CappedJsonError messages are fixed: no body (revocation entries) reaches the logs.
    const status = cause instanceof CappedJsonError ? cause.status : undefined;
    const hint = status === 401 || status === 403 ? ' (is the consumer key valid?)' : '';
    throw new RevocationSyncError(`${url.pathname}: ${(cause as Error).message}${hint}`, {
      cause,
      ...(status === undefined ? {} : { status }),
    });
  }
}

/**
 * Opens the event stream from `after` (`GET /revocations/stream`), sending the cursor both as
 * `after` and as `Last-Event-ID` (which the service prefers), and returns its body.
 */
export async function openRevocationStream(
  service: RevocationService,
  after: number,
  signal: AbortSignal,
): Promise<ReadableStream<Uint8Array>> {
  const url = new URL(service.streamUrl);
  url.searchParams.set('after', String(after));
  const response = await get(
    url,
    service,
    'text/event-stream',
    { 'last-event-id': String(after), 'cache-control': 'no-cache' },
    signal,
  );
  const type = response.headers.get('content-type') ?? '';
  if (!/^text\/event-stream\s*(;|$)/i.test(type) || response.body === null) {
    await response.body?.cancel();
    throw new RevocationSyncError(
      `${url.pathname} answered ${type || 'no content type'}, not an event stream`,
    );
  }
  return response.body;
}
