import { type CappedJson, fetchCappedJson } from './fetch-capped-json.ts';
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
 * Downloads a key set through the one capped-JSON fetch (bounded in time and size, no redirects:
 * a redirect could lead the verifier to keys the operator never configured; 200 and a JSON
 * content type only).
 */
export async function fetchJwks(uri: URL, limits: JwksFetchLimits): Promise<FetchedJwks> {
  let answer: CappedJson;
  try {
    answer = await fetchCappedJson(uri, {
      timeoutMs: limits.timeoutMs,
      maxBytes: limits.maxBytes,
      accept: 'application/jwk-set+json, application/json',
    });
  } catch (cause) {
    // The cause is a CappedJsonError: a fixed message and code, never the body.
    throw new JwksFetchError(`key set request: ${(cause as Error).message}`, { cause });
  }
  return { body: answer.body, maxAgeSec: parseMaxAge(answer.headers.get('cache-control')) };
}
