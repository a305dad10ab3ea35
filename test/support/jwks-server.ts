import type { IncomingMessage, ServerResponse } from 'node:http';
import { listenRestartably } from './loopback.ts';

/** How the server answers the next requests for its key set. Change it at any time with `set`. */
export interface JwksResponse {
  /** HTTP status of the answer. */
  readonly status: number;
  /** Serialised as JSON; a string is sent as it is. */
  readonly body: unknown;
  /** `Cache-Control` header, or none. */
  readonly cacheControl: string | undefined;
  /** Wait this long before sending anything at all. */
  readonly delayMs: number;
  /** Send the headers and the first half of the body, then wait this long before the rest. */
  readonly stallMs: number;
  /** Leave out `Content-Length` and send the body in small chunks. */
  readonly chunked: boolean;
  /** Answer 302 with this `Location` instead. Relative paths resolve against the server. */
  readonly redirectTo: string | undefined;
}

export interface JwksServer {
  /** The key set URL, `http://127.0.0.1:<port>/jwks.json`. */
  readonly url: string;
  /** Another path on the same server that always answers 200 with the current body. */
  readonly otherUrl: string;
  /** Requests for the key set URL so far (kept across stop/start). */
  readonly hits: number;
  /** Path of every request received, in order. */
  readonly paths: readonly string[];
  /** Changes the answer from now on; unnamed fields keep their value. */
  set(change: Partial<JwksResponse>): void;
  /** Stops listening and drops every open connection; `start` listens again on the same port. */
  stop(): Promise<void>;
  start(): Promise<void>;
  /** Stops for good. */
  close(): Promise<void>;
}

export const jwksPath = '/jwks.json';
const otherPath = '/moved/jwks.json';

const defaults: JwksResponse = {
  status: 200,
  body: { keys: [] },
  cacheControl: 'max-age=3600',
  delayMs: 0,
  stallMs: 0,
  chunked: false,
  redirectTo: undefined,
};

/** A real key set server on 127.0.0.1 whose answer the test controls. */
export async function startJwksServer(initial: Partial<JwksResponse> = {}): Promise<JwksServer> {
  let response: JwksResponse = { ...defaults, ...initial };
  let hits = 0;
  const paths: string[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, run: () => void): void => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      run();
    }, ms);
    timers.add(timer);
  };

  const send = (res: ServerResponse, answer: JwksResponse): void => {
    if (res.destroyed) return;
    const text = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body);
    const bytes = Buffer.from(text);
    const headers: Record<string, string> = { 'content-type': 'application/jwk-set+json' };
    if (answer.cacheControl !== undefined) headers['cache-control'] = answer.cacheControl;
    if (!answer.chunked) headers['content-length'] = String(bytes.byteLength);
    res.writeHead(answer.status, headers);
    if (answer.stallMs > 0) {
      const half = Math.floor(bytes.byteLength / 2);
      res.write(bytes.subarray(0, half));
      later(answer.stallMs, () => {
        if (!res.destroyed) res.end(bytes.subarray(half));
      });
      return;
    }
    if (answer.chunked) {
      for (let offset = 0; offset < bytes.byteLength; offset += 512) {
        res.write(bytes.subarray(offset, offset + 512));
      }
      res.end();
      return;
    }
    res.end(bytes);
  };

  const handle = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '';
    paths.push(path);
    if (path === otherPath) {
      send(res, { ...response, status: 200, delayMs: 0, stallMs: 0, redirectTo: undefined });
      return;
    }
    if (path !== jwksPath) {
      res.writeHead(404).end();
      return;
    }
    hits++;
    const answer = response;
    const reply = (): void => {
      if (answer.redirectTo === undefined) {
        send(res, answer);
      } else if (!res.destroyed) {
        res.writeHead(302, { location: answer.redirectTo }).end();
      }
    };
    if (answer.delayMs > 0) later(answer.delayMs, reply);
    else reply();
  };

  const listener = await listenRestartably(handle);
  const stop = async (): Promise<void> => {
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await listener.stop();
  };
  const base = listener.origin;

  return {
    url: `${base}${jwksPath}`,
    otherUrl: `${base}${otherPath}`,
    get hits() {
      return hits;
    },
    paths,
    set(change) {
      response = { ...response, ...change };
    },
    stop,
    start: listener.start,
    close: stop,
  };
}
