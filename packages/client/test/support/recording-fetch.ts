import type { FetchLike } from '../../src/index.ts';

/** What the client handed to `fetch`, before any test plumbing (such as a cookie jar) saw it. */
export interface SentRequest {
  readonly method: string;
  readonly url: URL;
  readonly headers: Headers;
  readonly credentials: RequestCredentials | undefined;
  /** The body, when it was a string (the client's own JSON bodies are). */
  readonly body: string | undefined;
}

export interface ReceivedResponse {
  readonly status: number;
  /** The response body as the client could read it. */
  readonly text: string;
}

export interface RecordingFetch {
  readonly fetch: FetchLike;
  readonly sent: SentRequest[];
  readonly received: ReceivedResponse[];
  /** Requests to `path` (and `method`, if given) so far. */
  count(path: string, method?: string): number;
}

/** Wraps a fetch to count and inspect the client's traffic; it changes nothing on the way. */
export function recordingFetch(
  inner: FetchLike = (input, init) => fetch(input, init),
): RecordingFetch {
  const sent: SentRequest[] = [];
  const received: ReceivedResponse[] = [];
  const wrapped: FetchLike = async (input, init) => {
    const request = input instanceof Request ? input : undefined;
    sent.push({
      method: (init?.method ?? request?.method ?? 'GET').toUpperCase(),
      url: new URL(request?.url ?? String(input)),
      headers: new Headers(init?.headers ?? request?.headers),
      credentials: init?.credentials,
      body: typeof init?.body === 'string' ? init.body : undefined,
    });
    const response = await inner(input, init);
    received.push({ status: response.status, text: await response.clone().text() });
    return response;
  };
  return {
    fetch: wrapped,
    sent,
    received,
    count: (path, method) =>
      sent.filter((r) => r.url.pathname === path && (method === undefined || r.method === method))
        .length,
  };
}
