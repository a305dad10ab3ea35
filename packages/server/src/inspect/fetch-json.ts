import { readCapped } from '@writ/verify';
/** Limits on one metadata download; a misbehaving server must not hang or flood the CLI. */
export interface FetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export const defaultFetchLimits: FetchLimits = { timeoutMs: 5000, maxBytes: 64 * 1024 };

/**
 * GETs a JSON document: bounded in time and size, 200 only, no redirects (a redirect could lead
 * to keys the operator never named). Throws an Error whose message says what went wrong.
 */
export async function fetchJson(
  url: URL,
  limits: FetchLimits = defaultFetchLimits,
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, {
      signal: AbortSignal.timeout(limits.timeoutMs),
      redirect: 'error',
      headers: { accept: 'application/json' },
    });
  } catch (error) {
    throw new Error('the request failed', { cause: error });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new Error(`the server answered ${response.status}`);
  }
  const bytes = await readCapped(response, limits.maxBytes);
  try {
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    throw new Error('the answer is not JSON');
  }
}
