import { readCapped } from './read-capped.ts';
/** Limits on one JWKS download. */
export interface JwksFetchLimits {
  readonly timeoutMs: number;
  readonly maxBytes: number;
}

export interface FetchedJwks {
  readonly body: unknown;
  /** `max-age` from `Cache-Control`, if the response carried a usable one. */
  readonly maxAgeSec: number | undefined;
}

/** Why a download failed, for the verifier's own diagnostics; never shown to clients. */
export class JwksFetchError extends Error {
  override readonly name = 'JwksFetchError';
}

function parseMaxAge(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  const directives = cacheControl
    .toLowerCase()
    .split(',')
    .map((d) => d.trim());
  if (directives.includes('no-store') || directives.includes('no-cache')) return 0;
  for (const directive of directives) {
    const match = /^max-age=(\d{1,10})$/.exec(directive);
    if (match?.[1] !== undefined) return Number(match[1]);
  }
  return undefined;
}

/**
 * Downloads a key set: bounded in time and size, no redirects (a redirect could lead the
 * verifier to keys the operator never configured), 200 only.
 */
export async function fetchJwks(uri: URL, limits: JwksFetchLimits): Promise<FetchedJwks> {
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let response: Response;
  try {
    response = await fetch(uri, {
      signal,
      redirect: 'error',
      headers: { accept: 'application/jwk-set+json, application/json' },
    });
  } catch (cause) {
    throw new JwksFetchError('key set request failed', { cause });
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    throw new JwksFetchError(`key set request answered ${response.status}`);
  }
  const bytes = await readCapped(response, limits.maxBytes);
  let body: unknown;
  try {
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch {
    // No cause: V8's parse errors quote the body, and this error reaches logs.
    throw new JwksFetchError('key set is not JSON');
  }
  return { body, maxAgeSec: parseMaxAge(response.headers.get('cache-control')) };
}
