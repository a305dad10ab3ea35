import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { fetchCappedJson } from '../src/fetch-capped-json.ts';
import { fetchJwks } from '../src/jwks-fetch.ts';

const secretBody = 'SECRET-BODY-TEXT';
const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
  '/ok': (_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"a":1}'),
  '/jwk-set': (_req, res) =>
    res
      .writeHead(200, { 'content-type': 'application/jwk-set+json; charset=utf-8' })
      .end('{"keys":[]}'),
  '/html': (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/html' }).end(`{"keys":[],"x":"${secretBody}"}`),
  '/no-type': (_req, res) => {
    res.removeHeader('content-type');
    res.writeHead(200).end('{"keys":[]}');
  },
  '/not-json': (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end(`{${secretBody}`),
  '/redirect': (_req, res) => res.writeHead(302, { location: '/ok' }).end(),
  '/error': (_req, res) =>
    res.writeHead(500, { 'content-type': 'application/json' }).end(secretBody),
  '/endless': (_req, res) => {
    // No content-length: only counting the bytes as they arrive can stop this.
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    const pump = () => {
      while (res.write(chunk)) {}
    };
    res.on('drain', pump);
    pump();
  },
  '/slow': (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.write('{');
  },
};

let server: LoopbackListener;
let base: string;
const seen: string[] = [];

beforeAll(async () => {
  server = await listenOnLoopback((req, res) => {
    seen.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route === undefined) res.writeHead(404).end();
    else route(req, res);
  });
  base = server.origin;
});

afterAll(() => server.close());

const limits = { timeoutMs: 2000, maxBytes: 64 * 1024 };
const failure = (path: string, overrides: Partial<typeof limits> = {}) =>
  fetchCappedJson(new URL(path, base), { ...limits, ...overrides }).then(
    () => {
      throw new Error('expected a failure');
    },
    (error: unknown) => error as Error & { code: string; status?: number },
  );

describe('fetchCappedJson', () => {
  it('returns JSON served as application/json or a +json type', async () => {
    expect((await fetchCappedJson(new URL('/ok', base), limits)).body).toEqual({ a: 1 });
    expect((await fetchCappedJson(new URL('/jwk-set', base), limits)).body).toEqual({ keys: [] });
  });

  it.each([
    ['/html', 'not_json_content_type'],
    ['/no-type', 'not_json_content_type'],
    ['/not-json', 'not_json'],
    ['/error', 'unexpected_status'],
    ['/redirect', 'request_failed'],
  ])(
    'refuses %s (%s) without a byte of the body in the error or its causes',
    async (path, code) => {
      const error = await failure(path);
      expect(error.code).toBe(code);
      let text = '';
      for (let current: unknown = error; current instanceof Error; current = current.cause) {
        text += `${current.message}\n${String(current.stack)}\n`;
      }
      expect(text).not.toContain(secretBody);
    },
  );

  it('does not follow a redirect', async () => {
    const before = seen.filter((url) => url === '/ok').length;
    await failure('/redirect');
    expect(seen.filter((url) => url === '/ok').length).toBe(before);
  });

  it('stops reading an endless body at the cap', async () => {
    const error = await failure('/endless', { maxBytes: 100_000 });
    expect(error.code).toBe('too_large');
    expect(error.message).toBe('the answer is larger than 100000 bytes');
  });

  it('gives up on a body that never ends in time', async () => {
    const error = await failure('/slow', { timeoutMs: 200 });
    expect(error.code).toBe('timeout');
  });
});

describe('fetchJwks goes through it', () => {
  it('refuses a key set served as text/html, and says so without the body', async () => {
    const error = await fetchJwks(new URL('/html', base), limits).then(
      () => undefined,
      (caught: unknown) => caught as Error,
    );
    expect(error?.message).toBe(
      'key set request: the answer is not JSON (its content type is not application/json)',
    );
    expect(String((error?.cause as Error | undefined)?.message)).not.toContain(secretBody);
  });
});
