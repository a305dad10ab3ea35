import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { newRevocations } from '../src/revocation/revocation-policy.ts';
import { openSse } from './support/sse-reader.ts';

let service: TestService;
let consumerKey: string;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService({ WRIT_REVOCATION_HEARTBEAT: '1' });
  consumerKey = await service.addKey('consumer');
  await service.addUser('eve@example.com', password);
});
afterAll(() => service.destroy());

const auth = () => ({ authorization: `Bearer ${consumerKey}` });

async function appendDirectly(count: number): Promise<void> {
  const nowSec = Math.floor(Date.now() / 1000);
  const targets = Array.from(
    { length: count },
    (_, i) => ({ type: 'jti', value: `bulk-${nowSec}-${i}` }) as const,
  );
  const entries = await service.context.db.revocations.append(
    newRevocations(targets, 'session_deleted', nowSec),
  );
  service.context.notifier.publish(entries);
}

describe('GET /revocations', () => {
  it('refuses a missing, wrong or admin key', async () => {
    expect((await call(service.url, 'GET', '/revocations')).status).toBe(401);
    expect(
      (await call(service.url, 'GET', '/revocations', { token: `wck_${'x'.repeat(43)}` })).status,
    ).toBe(401);
    expect(
      (await call(service.url, 'GET', '/revocations', { token: await service.addKey('admin') }))
        .status,
    ).toBe(401);
  });

  it('records sign-out as a sid entry that can be forgotten once every token it covers expired', async () => {
    const tokens = await signInBody(service.url, 'eve@example.com', password);
    await call(service.url, 'POST', '/auth/sign-out', { token: tokens.access_token });
    const page = await call(service.url, 'GET', '/revocations', { token: consumerKey });
    const entry = (page.body.entries as Array<Record<string, unknown>>).find(
      (e) => (e.target as { value: string }).value === decodeJwt(tokens.access_token).sid,
    );
    expect(entry).toMatchObject({ cause: 'sign_out', target: { type: 'sid' } });
    expect(Number(entry?.forgetAfter) - Number(entry?.revokedAt)).toBe(15 * 60 + 30);
  });

  it('pages through the log in cursor order', async () => {
    await appendDirectly(25);
    const seen: number[] = [];
    let after = 0;
    for (let page = 0; page < 100; page++) {
      const response = await call(service.url, 'GET', `/revocations?after=${after}&limit=10`, {
        token: consumerKey,
      });
      const entries = response.body.entries as Array<{ cursor: number }>;
      seen.push(...entries.map((e) => e.cursor));
      after = Number(response.body.cursor);
      if (response.body.more !== true) break;
    }
    expect(seen.length).toBeGreaterThanOrEqual(26);
    expect(seen).toEqual([...seen].sort((a, b) => a - b));
    expect(new Set(seen).size).toBe(seen.length);
  });

  it('states the retention and heartbeat interval on every page', async () => {
    const page = await call(service.url, 'GET', '/revocations?limit=1', { token: consumerKey });
    expect(page.body).toMatchObject({ retentionSec: 15 * 60 + 30, heartbeatSec: 1 });
  });

  it('refuses bad cursors and limits', async () => {
    for (const query of ['after=-1', 'after=abc', 'limit=0', 'limit=100000']) {
      expect(
        (await call(service.url, 'GET', `/revocations?${query}`, { token: consumerKey })).status,
      ).toBe(400);
    }
  });
});

describe('GET /revocations/stream', () => {
  it('sends the backlog after a cursor, then a heartbeat, then live entries as they commit', async () => {
    const head = await service.context.db.revocations.head();
    await appendDirectly(3);
    const stream = await openSse(`${service.url}/revocations/stream?after=${head}`, auth());
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      const backlog = stream.events.filter((e) => e.event === 'revocation');
      expect(backlog.map((e) => Number(e.id))).toEqual([head + 1, head + 2, head + 3]);
      const tokens = await signInBody(service.url, 'eve@example.com', password);
      await call(service.url, 'POST', '/auth/sign-out', { token: tokens.access_token });
      const live = await stream.waitFor(
        (e) =>
          e.event === 'revocation' &&
          (e.data as { target: { value: string } }).target.value ===
            decodeJwt(tokens.access_token).sid,
      );
      expect(Number(live.id)).toBe(head + 4);
    } finally {
      stream.close();
    }
  });

  it('resumes from Last-Event-ID without repeating or skipping an entry', async () => {
    const head = await service.context.db.revocations.head();
    await appendDirectly(2);
    const stream = await openSse(`${service.url}/revocations/stream?after=0`, {
      ...auth(),
      'last-event-id': String(head + 1),
    });
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      expect(
        stream.events.filter((e) => e.event === 'revocation').map((e) => Number(e.id)),
      ).toEqual([head + 2]);
    } finally {
      stream.close();
    }
  });

  it('sends heartbeats at the configured interval carrying the head of the log and its terms', async () => {
    const stream = await openSse(`${service.url}/revocations/stream`, auth());
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      const start = Date.now();
      await stream.waitFor(
        (e) =>
          e.event === 'heartbeat' &&
          stream.events.filter((x) => x.event === 'heartbeat').length >= 2,
        4000,
      );
      // Configured at 1 s (the default is 5 s); generous for a loaded CI machine.
      expect(Date.now() - start).toBeLessThan(3500);
      const beat = stream.events.filter((e) => e.event === 'heartbeat').at(-1);
      expect(beat?.data).toMatchObject({
        head: await service.context.db.revocations.head(),
        retentionSec: 15 * 60 + 30,
        heartbeatSec: 1,
      });
    } finally {
      stream.close();
    }
  });

  it('ends an open stream within a heartbeat once its consumer key is revoked', async () => {
    const key = await service.addKey('consumer', 'short-lived');
    const stream = await openSse(`${service.url}/revocations/stream`, {
      authorization: `Bearer ${key}`,
    });
    try {
      await stream.waitFor((e) => e.event === 'heartbeat');
      await service.context.db.apiKeys.revoke('consumer', 'short-lived', Date.now());
      const outcome = await Promise.race([
        stream.ended.then(() => 'ended'),
        new Promise((r) => setTimeout(() => r('still open'), 2500)),
      ]);
      expect(outcome).toBe('ended');
    } finally {
      stream.close();
    }
  });

  it('refuses a stream without a consumer key', async () => {
    await expect(openSse(`${service.url}/revocations/stream`, {})).rejects.toThrow('401');
  });

  it('delivers entries committed while the backlog was being read', async () => {
    const head = await service.context.db.revocations.head();
    await appendDirectly(1500);
    const streamPromise = openSse(`${service.url}/revocations/stream?after=${head}`, auth());
    await appendDirectly(5);
    const stream = await streamPromise;
    try {
      await stream.waitFor((e) => e.event === 'revocation' && Number(e.id) === head + 1505, 5000);
      const ids = stream.events.filter((e) => e.event === 'revocation').map((e) => Number(e.id));
      expect(ids).toEqual(Array.from({ length: 1505 }, (_, i) => head + 1 + i));
    } finally {
      stream.close();
    }
  });
});
