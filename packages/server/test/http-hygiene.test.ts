import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

/** Sends one raw request line (fetch would normalise a malformed URL before sending it). */
function rawRequest(port: number, requestLine: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.end(`${requestLine}\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    });
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      answer += chunk;
    });
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

const port = () => Number(new URL(service.url).port);

describe('every answer of the service', () => {
  it.each([
    ['a 200', '/health', {}],
    ['a 404', '/no-such-route', {}],
    ['a 401', '/auth/sessions', {}],
    [
      'a 400 (bad JSON)',
      '/auth/sign-in',
      { method: 'POST', body: '{', headers: { 'content-type': 'application/json' } },
    ],
  ])('carries the security headers: %s', async (_name, path, init) => {
    const response = await fetch(`${service.url}${path}`, init as RequestInit);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
    // The test service's issuer is http on loopback: no HSTS there (it would pin localhost).
    expect(response.headers.get('strict-transport-security')).toBeNull();
  });

  it.each(['/%', '/%zz', '/auth/%E0%A4%A', '/.well-known/%'])(
    'answers the malformed URL %s with the uniform 400, never echoing the path',
    async (path) => {
      const answer = await rawRequest(port(), `GET ${path} HTTP/1.1`);
      const [head = '', body = ''] = answer.split('\r\n\r\n');
      expect(head).toMatch(/^HTTP\/1\.1 400 /);
      expect(head.toLowerCase()).toContain('x-content-type-options: nosniff');
      expect(body).toBe('{"error":"invalid_request"}');
      expect(answer).not.toContain(path);
    },
  );
});

describe('a service whose issuer is https', () => {
  it('tells browsers to use https only (Strict-Transport-Security), for its own host only', async () => {
    const https = await startTestService({ WRIT_ISSUER: 'https://auth.writ.test' });
    try {
      const response = await fetch(`${https.url}/health`);
      expect(response.headers.get('strict-transport-security')).toBe('max-age=31536000');
    } finally {
      await https.destroy();
    }
  });
});

describe('the Bearer scheme on the service', () => {
  it('is case-insensitive (RFC 7235 §2.1): a consumer key sent as "bearer" opens the snapshot', async () => {
    const key = await service.addKey('consumer');
    for (const scheme of ['Bearer', 'bearer', 'BEARER']) {
      const response = await fetch(`${service.url}/revocations`, {
        headers: { authorization: `${scheme} ${key}` },
      });
      expect(response.status, scheme).toBe(200);
    }
  });
});
