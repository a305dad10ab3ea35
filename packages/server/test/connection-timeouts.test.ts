import { connect, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { openSse } from './support/sse-reader.ts';

let service: TestService;
const requestTimeoutSec = 2;

beforeAll(async () => {
  service = await startTestService({
    WRIT_REQUEST_TIMEOUT: String(requestTimeoutSec),
    WRIT_REVOCATION_HEARTBEAT: '1',
  });
});
afterAll(() => service.destroy());

interface Trickle {
  /** Milliseconds from the first byte until the service closed the connection. */
  readonly closedAfterMs: Promise<number>;
  readonly answer: () => string;
  stop(): void;
}

/** Sends `head`, then one byte of `rest` every `everyMs`, as a slow (or hostile) client would. */
function trickle(head: string, rest: string, everyMs: number): Trickle {
  const socket: Socket = connect(Number(new URL(service.url).port), '127.0.0.1');
  let answer = '';
  let timer: NodeJS.Timeout | undefined;
  const started = Date.now();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    answer += chunk;
  });
  socket.on('error', () => {});
  socket.on('connect', () => {
    socket.write(head);
    let sent = 0;
    timer = setInterval(() => {
      if (sent < rest.length && socket.writable) socket.write(rest[sent++] ?? '');
    }, everyMs);
  });
  const closedAfterMs = new Promise<number>((resolve) => {
    socket.on('close', () => {
      clearInterval(timer);
      resolve(Date.now() - started);
    });
  });
  return {
    closedAfterMs,
    answer: () => answer,
    stop: () => {
      clearInterval(timer);
      socket.destroy();
    },
  };
}

const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'still open'> =>
  Promise.race([promise, new Promise<'still open'>((r) => setTimeout(() => r('still open'), ms))]);

describe('connections are bounded in time', () => {
  it('cuts off a request body sent a byte at a time at the request timeout (408)', async () => {
    const body = JSON.stringify({ email: 'slow@example.com', password: 'x'.repeat(40) });
    const slow = trickle(
      `POST /auth/sign-in HTTP/1.1\r\nHost: 127.0.0.1\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n`,
      body,
      250,
    );
    try {
      const closed = await within(slow.closedAfterMs, (requestTimeoutSec + 4) * 1000);
      expect(closed).not.toBe('still open');
      expect(closed as number).toBeGreaterThanOrEqual(requestTimeoutSec * 1000 - 100);
      expect(slow.answer()).toMatch(/^HTTP\/1\.1 408 /);
    } finally {
      slow.stop();
    }
  }, 15_000);

  it('cuts off request headers sent a byte at a time', async () => {
    const slow = trickle(
      'GET /health HTTP/1.1\r\n',
      'Host: 127.0.0.1\r\nx-filler: '.repeat(50),
      250,
    );
    try {
      const closed = await within(slow.closedAfterMs, (requestTimeoutSec + 4) * 1000);
      expect(closed).not.toBe('still open');
    } finally {
      slow.stop();
    }
  }, 15_000);

  it('does not cut the revocation stream, whose request is complete once its headers are in', async () => {
    const key = await service.addKey('consumer');
    const stream = await openSse(`${service.url}/revocations/stream`, {
      authorization: `Bearer ${key}`,
    });
    try {
      await new Promise((resolve) => setTimeout(resolve, (requestTimeoutSec + 2) * 1000));
      const heartbeatsBefore = stream.events.filter((e) => e.event === 'heartbeat').length;
      await stream.waitFor(
        () => stream.events.filter((e) => e.event === 'heartbeat').length > heartbeatsBefore,
        3000,
      );
      expect(await within(stream.ended, 10)).toBe('still open');
    } finally {
      stream.close();
    }
  }, 15_000);
});
