import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { openSse, type SseConnection } from './support/sse-reader.ts';

let service: TestService;

beforeAll(async () => {
  service = await startTestService({
    WRIT_REVOCATION_HEARTBEAT: '1',
    WRIT_REVOCATION_STREAMS_PER_CONSUMER: '3',
    WRIT_REVOCATION_STREAMS_TOTAL: '5',
  });
});
afterAll(() => service.destroy());

const streamUrl = () => `${service.url}/revocations/stream`;
const auth = (key: string) => ({ authorization: `Bearer ${key}` });

async function openLive(key: string): Promise<SseConnection> {
  const stream = await openSse(streamUrl(), auth(key));
  await stream.waitFor((e) => e.event === 'heartbeat');
  return stream;
}

/** Opens a stream that is expected to be refused, and returns the refusal. */
async function refusal(key: string): Promise<{ status: number; retryAfter: string | null }> {
  const response = await fetch(streamUrl(), { headers: auth(key) });
  const answer = { status: response.status, retryAfter: response.headers.get('retry-after') };
  await response.body?.cancel();
  return answer;
}

const until = async (what: string, done: () => Promise<boolean>): Promise<void> => {
  const start = Date.now();
  while (!(await done())) {
    if (Date.now() - start > 3000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
};

describe('revocation streams are capped', () => {
  it('per consumer key (429) and in total (503), each with Retry-After, and free their place on close', async () => {
    const [one, two, three] = await Promise.all([
      service.addKey('consumer'),
      service.addKey('consumer'),
      service.addKey('consumer'),
    ]);
    const held: SseConnection[] = [];
    try {
      // Opened concurrently: the count is claimed before any await, so a burst cannot overshoot.
      const burst = await Promise.allSettled(
        Array.from({ length: 6 }, () => openSse(streamUrl(), auth(one))),
      );
      const opened = burst.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
      held.push(...opened);
      expect(opened).toHaveLength(3);
      expect(burst.filter((r) => r.status === 'rejected').map((r) => String(r.reason))).toEqual([
        'Error: stream answered 429',
        'Error: stream answered 429',
        'Error: stream answered 429',
      ]);
      expect(await refusal(one)).toEqual({ status: 429, retryAfter: '2' });

      held.push(await openLive(two), await openLive(two));
      expect(await refusal(three)).toEqual({ status: 503, retryAfter: '2' });
      expect(await refusal(two), 'the total is reached before the key’s own cap').toMatchObject({
        status: 503,
      });

      held.shift()?.close();
      await until('a place to free up', async () => {
        const attempt = await fetch(streamUrl(), { headers: auth(three) });
        if (attempt.status === 200) {
          await attempt.body?.cancel();
          return true;
        }
        await attempt.body?.cancel();
        return false;
      });
    } finally {
      for (const stream of held) stream.close();
    }
  });

  it('by default at 8 per consumer key and 1000 in total', () => {
    const env = Object.fromEntries(
      Object.entries(service.env).filter(([name]) => !name.startsWith('WRIT_REVOCATION_STREAMS')),
    );
    const config = loadConfig({ env, cwd: service.dataDir, warn: () => {} });
    expect(config).toMatchObject({ revocationStreamsPerConsumer: 8, revocationStreamsTotal: 1000 });
  });
});
