import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

/**
 * Idle and absolute session lifetimes, with the service's injected clock moved forward (the
 * global Date, sockets and timers run for real).
 */
let service: TestService;
const password = 'correct horse battery staple';
const idleSec = 600;
const absoluteSec = 1500;

beforeAll(async () => {
  service = await startTestService({
    WRIT_SESSION_IDLE_TTL: String(idleSec),
    WRIT_SESSION_ABSOLUTE_TTL: String(absoluteSec),
  });
  await service.addUser('tess@example.com', password);
});
afterAll(() => service.destroy());
afterEach(() => {
  service.clock.reset();
});

function advance(seconds: number): void {
  service.clock.advance(seconds * 1000);
}

async function refreshWith(token: string) {
  return call(service.url, 'POST', '/auth/refresh', { body: { refresh_token: token } });
}

describe('session lifetimes', () => {
  it('ends a session left unused for the idle lifetime', async () => {
    const tokens = await signInBody(service.url, 'tess@example.com', password);
    advance(idleSec + 1);
    expect((await refreshWith(tokens.refresh_token)).status).toBe(401);
  });

  it('keeps a used session alive past the idle lifetime, but never past the absolute one', async () => {
    let refreshToken = (await signInBody(service.url, 'tess@example.com', password)).refresh_token;
    // Refresh every 400 s (inside the 600 s idle window): alive at 400, 800 and 1200 s.
    for (let i = 0; i < 3; i++) {
      advance(400);
      const refreshed = await refreshWith(refreshToken);
      expect(refreshed.status).toBe(200);
      refreshToken = String(refreshed.body.refresh_token);
    }
    // 1600 s after sign-in: past the 1500 s absolute lifetime, however recently used.
    advance(400);
    expect((await refreshWith(refreshToken)).status).toBe(401);
  });

  it('does not list ended sessions', async () => {
    // The service's own verifier checks token times against the real clock, so the old session
    // is opened in the past and the listing happens now. A service of its own: the throttle
    // records of the other cases lie in that past's future.
    const own = await startTestService({
      WRIT_SESSION_IDLE_TTL: String(idleSec),
      WRIT_SESSION_ABSOLUTE_TTL: String(absoluteSec),
    });
    try {
      await own.addUser('tara@example.com', password);
      own.clock.advance(-(idleSec + 1) * 1000);
      const old = await signInBody(own.url, 'tara@example.com', password);
      own.clock.reset();
      const fresh = await signInBody(own.url, 'tara@example.com', password);
      const listed = await call(own.url, 'GET', '/auth/sessions', { token: fresh.access_token });
      const ids = (listed.body.sessions as Array<{ id: string }>).map((s) => s.id);
      expect(ids).toHaveLength(1);
      expect(ids).not.toContain(
        JSON.parse(Buffer.from(old.access_token.split('.')[1] ?? '', 'base64url').toString()).sid,
      );
    } finally {
      await own.destroy();
    }
  });
});
