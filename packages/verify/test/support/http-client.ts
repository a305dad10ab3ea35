import { request } from 'node:http';

export interface RawResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: string;
}

/**
 * A GET over node:http. Header values may be arrays, sent as repeated header lines, which
 * `fetch` cannot do.
 */
export function get(
  url: string,
  headers: Record<string, string | string[]> = {},
): Promise<RawResponse> {
  return send('GET', url, headers);
}

export function send(
  method: string,
  url: string,
  headers: Record<string, string | string[]> = {},
): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method, headers, agent: false }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('end', () =>
        resolve({
          status: response.statusCode ?? 0,
          headers: response.headers,
          body: Buffer.concat(chunks).toString('utf8'),
        }),
      );
      response.on('error', reject);
    });
    outgoing.on('error', reject);
    outgoing.end();
  });
}

/** The parts of a refusal that must never vary with the reason. */
export function refusalFingerprint(response: RawResponse): string {
  return JSON.stringify([
    response.status,
    response.headers['www-authenticate'],
    response.headers['content-type'],
    response.headers['cache-control'],
    response.body,
  ]);
}
