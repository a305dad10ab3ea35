import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { createPhantomTokenExchanger } from '@writ/verify/phantom';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../../../test/support/jwks-server.ts';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { send } from '../../verify/test/support/http-client.ts';
import { exchangerOptions } from '../../verify/test/support/phantom-exchanger-options.ts';
import {
  activeAnswer,
  type IntrospectionServer,
  newOpaqueToken,
  startIntrospectionServer,
} from '../../verify/test/support/phantom-introspection-server.ts';
import { sign, validClaims } from '../../verify/test/support/tokens.ts';
import { type RunningGateway, startGateway } from '../src/gateway/start-gateway.ts';

/**
 * The reverse proxy of `writ gateway` between a real client and an upstream echo server this test
 * owns; the exchange runs against a loopback introspection endpoint (the exchange against the real
 * token service is gateway-service.test.ts). What is checked here is the proxying: headers,
 * bodies, streaming, failures.
 */
interface SeenUpstream {
  readonly method: string;
  readonly url: string;
  readonly rawHeaders: readonly string[];
  readonly bodyBytes: number;
  readonly bodySha256: string;
}

let key: SigningKey;
let jwks: JwksServer;
let service: IntrospectionServer;
let upstream: LoopbackListener;
let gateway: RunningGateway;
let innerToken: string;
const seen: SeenUpstream[] = [];
/** Releases the second half of /stream. */
let releaseStream: (() => void) | undefined;
let upstreamClosedEarly = 0;
/** What the gateway reported about its upstream requests. */
const gatewayErrors: string[] = [];

function header(raw: readonly string[], name: string): string[] {
  return raw.filter((_, i) => i % 2 === 1 && raw[i - 1]?.toLowerCase() === name);
}

function handleUpstream(request: IncomingMessage, response: ServerResponse): void {
  const hash = createHash('sha256');
  let bytes = 0;
  request.on('data', (chunk: Buffer) => {
    bytes += chunk.byteLength;
    hash.update(chunk);
  });
  request.on('end', () => {
    const entry: SeenUpstream = {
      method: request.method ?? '',
      url: request.url ?? '',
      rawHeaders: request.rawHeaders,
      bodyBytes: bytes,
      bodySha256: hash.digest('hex'),
    };
    seen.push(entry);
    const path = entry.url;
    if (path.startsWith('/api/slow')) return; // never answers
    if (path.startsWith('/api/stream')) {
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('first half;');
      releaseStream = () => response.end('second half');
      response.on('close', () => {
        if (!response.writableFinished) upstreamClosedEarly++;
      });
      return;
    }
    if (path.startsWith('/api/cut')) {
      // Chunked: only the way the connection ends tells the client the body is short.
      response.writeHead(200, { 'content-type': 'text/plain' });
      response.write('only part of it');
      setTimeout(() => response.destroy(), 20);
      return;
    }
    if (path.startsWith('/api/download/')) {
      const size = Number(path.slice('/api/download/'.length));
      response.writeHead(200, { 'content-type': 'application/octet-stream' });
      const chunk = Buffer.alloc(64 * 1024, 7);
      let sent = 0;
      const pump = (): void => {
        while (sent < size) {
          const part = chunk.subarray(0, Math.min(chunk.byteLength, size - sent));
          sent += part.byteLength;
          if (!response.write(part)) {
            response.once('drain', pump);
            return;
          }
        }
        response.end();
      };
      pump();
      return;
    }
    response.writeHead(201, [
      'Content-Type',
      'application/json',
      'Set-Cookie',
      'a=1; Path=/',
      'Set-Cookie',
      'b=2; Path=/',
      'Connection',
      'x-hop-secret',
      'X-Hop-Secret',
      'connection-scoped',
      'Keep-Alive',
      'timeout=5',
      'X-End-To-End',
      'kept',
    ]);
    response.end(JSON.stringify(entry));
  });
}

beforeAll(async () => {
  key = await ed25519('svc-key-1');
  jwks = await startJwksServer({ body: { keys: [key.publicJwk] } });
  service = await startIntrospectionServer();
  upstream = await listenOnLoopback(handleUpstream);
  innerToken = await sign(key, validClaims());
  gateway = await startGateway({
    exchanger: createPhantomTokenExchanger(exchangerOptions(service, jwks.url)),
    upstream: new URL(`${upstream.origin}/api/`),
    host: '127.0.0.1',
    port: 0,
    upstreamTimeoutMs: 400,
    onError: (event) => gatewayErrors.push(event.code),
  });
});

afterAll(async () => {
  await gateway?.close(100);
  await upstream?.close();
  await service?.close();
  await jwks?.close();
});

beforeEach(() => {
  seen.length = 0;
  service.answerWith(() => activeAnswer(key, innerToken));
});

const bearer = (opaque = newOpaqueToken()) => ({ authorization: `Bearer ${opaque}` });

/** Sends a request with a body over node:http and returns status and the body's bytes. */
function post(
  path: string,
  headers: Record<string, string>,
  body: Buffer | ((write: (chunk: Buffer) => void) => Promise<void>),
): Promise<{ status: number; body: Buffer; headers: IncomingMessage['headers'] }> {
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      `${gateway.url}${path}`,
      { method: 'POST', headers, agent: false },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: response.headers,
          }),
        );
      },
    );
    outgoing.on('error', reject);
    if (Buffer.isBuffer(body)) {
      outgoing.end(body);
    } else {
      void body((chunk) => outgoing.write(chunk)).then(() => outgoing.end());
    }
  });
}

describe('writ gateway forwards', () => {
  it('with Bearer <at+jwt> in place of the opaque token, which the upstream never sees', async () => {
    const opaque = newOpaqueToken();
    const response = await send('GET', `${gateway.url}/orders/7?page=2`, bearer(opaque));
    expect(response.status).toBe(201);
    const [upstreamSaw] = seen;
    expect(upstreamSaw?.url).toBe('/api/orders/7?page=2');
    expect(header(upstreamSaw?.rawHeaders ?? [], 'authorization')).toEqual([
      `Bearer ${innerToken}`,
    ]);
    expect(JSON.stringify(upstreamSaw)).not.toContain(opaque);
    expect(JSON.stringify(upstreamSaw)).not.toContain('wat_');
  });

  it('sets Host for the upstream and its own X-Forwarded-*, dropping what the client claimed', async () => {
    await send('GET', `${gateway.url}/x`, {
      ...bearer(),
      host: 'shop.example.com',
      'x-forwarded-for': '10.9.9.9',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
      'x-real-ip': '10.9.9.9',
      forwarded: 'for=10.9.9.9',
    });
    const raw = seen[0]?.rawHeaders ?? [];
    expect(header(raw, 'host')).toEqual([upstream.origin.slice('http://'.length)]);
    expect(header(raw, 'x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(header(raw, 'x-forwarded-host')).toEqual(['shop.example.com']);
    expect(header(raw, 'x-forwarded-proto')).toEqual(['http']);
    expect(header(raw, 'x-real-ip')).toEqual([]);
    expect(header(raw, 'forwarded')).toEqual([]);
  });

  it('drops hop-by-hop fields both ways, those named in Connection included, and keeps repeated end-to-end ones', async () => {
    const response = await send('GET', `${gateway.url}/x`, {
      ...bearer(),
      connection: 'keep-alive, x-client-hop',
      'x-client-hop': 'connection-scoped',
      'keep-alive': 'timeout=5',
      te: 'trailers',
      upgrade: 'websocket',
      'proxy-authorization': 'Basic c2VjcmV0',
      'x-end-to-end': ['one', 'two'],
    });
    const raw = seen[0]?.rawHeaders ?? [];
    for (const name of ['x-client-hop', 'keep-alive', 'te', 'upgrade', 'proxy-authorization']) {
      expect(header(raw, name), name).toEqual([]);
    }
    expect(header(raw, 'x-end-to-end')).toEqual(['one', 'two']);
    expect(response.headers['x-hop-secret']).toBeUndefined();
    expect(response.headers['x-end-to-end']).toBe('kept');
    expect(response.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
  });

  it('streams a 5 MiB upload and a 20 MiB download through, byte for byte', async () => {
    const upload = randomBytes(5 * 1024 * 1024);
    const answer = await post(
      '/upload',
      { ...bearer(), 'content-type': 'application/octet-stream' },
      async (write) => {
        for (let offset = 0; offset < upload.byteLength; offset += 256 * 1024) {
          write(upload.subarray(offset, offset + 256 * 1024));
          await new Promise((resolve) => setImmediate(resolve));
        }
      },
    );
    expect(answer.status).toBe(201);
    expect(JSON.parse(answer.body.toString())).toMatchObject({
      method: 'POST',
      bodyBytes: upload.byteLength,
      bodySha256: createHash('sha256').update(upload).digest('hex'),
    });
    const download = await fetch(`${gateway.url}/download/${20 * 1024 * 1024}`, {
      headers: bearer(),
    });
    expect(download.status).toBe(200);
    expect((await download.arrayBuffer()).byteLength).toBe(20 * 1024 * 1024);
  });

  it('passes the first part of an answer on before the upstream has finished it', async () => {
    const response = await fetch(`${gateway.url}/stream`, { headers: bearer() });
    const reader = response.body?.getReader();
    const first = await reader?.read();
    expect(Buffer.from(first?.value ?? []).toString()).toBe('first half;');
    releaseStream?.();
    let rest = '';
    for (;;) {
      const next = await reader?.read();
      if (next === undefined || next.done) break;
      rest += Buffer.from(next.value).toString();
    }
    expect(rest).toBe('second half');
  });

  it('closes the upstream request when the client goes away mid-answer', async () => {
    const before = upstreamClosedEarly;
    const controller = new AbortController();
    const response = await fetch(`${gateway.url}/stream`, {
      headers: bearer(),
      signal: controller.signal,
    });
    await response.body?.getReader().read();
    controller.abort();
    // A deadline, not the expected delay: the close comes within milliseconds, but a loaded
    // machine can stall the gateway longer than 2 s; without the close the wait fails all the same.
    const deadline = Date.now() + 10_000;
    while (upstreamClosedEarly === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(upstreamClosedEarly).toBe(before + 1);
  });
});

/**
 * Writes `request` to the gateway as raw bytes on a socket of its own (what fetch would not
 * send) and returns everything the gateway wrote back before it closed the connection.
 */
function rawExchange(request: string): Promise<string> {
  const socket = connect(gateway.server.address() as never);
  return new Promise<string>((resolve) => {
    let text = '';
    socket.on('data', (chunk) => {
      text += chunk.toString();
    });
    socket.on('close', () => resolve(text));
    socket.write(request);
  });
}

describe('writ gateway refuses', () => {
  it('requests it cannot exchange, before anything reaches the upstream', async () => {
    const jwt = await sign(key, validClaims());
    const cases: [Record<string, string>, number][] = [
      [{}, 401],
      [{ authorization: `Bearer ${jwt}` }, 401],
      [{ authorization: 'Bearer wat_guess' }, 401],
    ];
    for (const [headers, status] of cases) {
      const response = await send('GET', `${gateway.url}/x`, headers);
      expect(response.status).toBe(status);
    }
    expect((await send('GET', `${gateway.url}/x?t=${newOpaqueToken()}`, bearer())).status).toBe(
      400,
    );
    expect(seen).toHaveLength(0);
  });

  it('an opaque token in any other field (a cookie, a custom header): it would reach the upstream', async () => {
    for (const headers of [
      { cookie: `theme=dark; session=${newOpaqueToken()}` },
      { 'x-api-token': newOpaqueToken() },
      { 'x-note': `forwarded ${newOpaqueToken()}` },
    ]) {
      const response = await send('GET', `${gateway.url}/x`, { ...bearer(), ...headers });
      expect(response.status).toBe(400);
    }
    // Inside a longer base64url value, `wat_` is not a token.
    const cursor = `abc${newOpaqueToken()}xyz`;
    expect(
      (await send('GET', `${gateway.url}/x`, { ...bearer(), 'x-cursor': cursor })).status,
    ).toBe(201);
    expect(seen).toHaveLength(1);
  });

  it('a request with a body and no valid token with Connection: close, so its upload is never drained', async () => {
    const answer = await post(
      '/upload',
      { 'content-type': 'application/octet-stream' },
      Buffer.alloc(1024),
    );
    expect(answer.status).toBe(401);
    expect(answer.headers.connection).toBe('close');
    // fetch keeps connections alive: without a body to leave unread, the gateway keeps it too.
    const bodiless = await fetch(`${gateway.url}/x`);
    await bodiless.arrayBuffer();
    expect(bodiless.status).toBe(401);
    expect(bodiless.headers.get('connection')).not.toBe('close');
  });

  it.each(['/../admin', '/a/./b', '/a/%2e%2e/admin', '/a/%2E/b', '/a\\..\\b'])(
    'a path with dot segments (%s): it could leave the upstream prefix',
    async (path) => {
      const answer = await rawExchange(
        `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${newOpaqueToken()}\r\nConnection: close\r\n\r\n`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400/);
      expect(seen).toHaveLength(0);
    },
  );

  it('a request framed two ways (Content-Length and Transfer-Encoding: request smuggling)', async () => {
    const answer = await rawExchange(
      `POST /x HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${newOpaqueToken()}\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /admin HTTP/1.1\r\nHost: x\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(seen).toHaveLength(0);
  });

  it('an absolute-form target (a forward-proxy request)', async () => {
    const answer = await rawExchange(
      `GET http://169.254.169.254/latest HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${newOpaqueToken()}\r\nConnection: close\r\n\r\n`,
    );
    expect(answer).toMatch(/^HTTP\/1\.1 400/);
    expect(seen).toHaveLength(0);
  });
});

describe('upstream failures', () => {
  it('answer 504 when the upstream does not answer in time, without details', async () => {
    const errorsBefore = gatewayErrors.length;
    const response = await send('GET', `${gateway.url}/slow`, bearer());
    expect(response.status).toBe(504);
    expect(gatewayErrors.slice(errorsBefore)).toContain('upstream_timeout');
    expect(JSON.parse(response.body)).toEqual({ error: 'gateway_timeout' });
  });

  it('cut the client’s answer when the upstream cuts its own (never a short body as a whole one)', async () => {
    const started = performance.now();
    const outcome = await (async () => {
      const response = await fetch(`${gateway.url}/cut`, {
        headers: bearer(),
        signal: AbortSignal.timeout(3000),
      });
      await response.arrayBuffer();
      return 'complete';
    })().catch((error: Error) => error.name);
    // Cut at once: neither taken as complete nor left hanging until the client gives up.
    expect(outcome).not.toBe('complete');
    expect(outcome).not.toBe('TimeoutError');
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it('answer 502 when the upstream is down, without details', async () => {
    const down = await startGateway({
      exchanger: createPhantomTokenExchanger(exchangerOptions(service, jwks.url)),
      upstream: new URL('http://127.0.0.1:9/'),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const response = await send('GET', `${down.url}/x`, bearer());
      expect(response.status).toBe(502);
      expect(response.body).toBe('{"error":"bad_gateway"}');
      expect(response.headers['cache-control']).toBe('no-store');
    } finally {
      await down.close(100);
    }
  });
});
