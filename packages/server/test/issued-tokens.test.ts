import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

const refresh = (refreshToken: string) =>
  call(service.url, 'POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
const sessionsWith = (token: string) => call(service.url, 'GET', '/auth/sessions', { token });

describe('issued access tokens', () => {
  it('carry client_id "writ" and nbf equal to iat, read from the service clock, at sign-in and refresh', async () => {
    await service.addUser('claims@example.com', password);
    // An hour back, so the times can only have come from the injected clock.
    service.clock.advance(-3_600_000);
    try {
      const fromSec = Math.floor(service.clock.nowMs() / 1000);
      const signedIn = await signInBody(service.url, 'claims@example.com', password);
      const refreshed = await refresh(signedIn.refresh_token);
      expect(refreshed.status).toBe(200);
      const untilSec = Math.floor(service.clock.nowMs() / 1000);
      for (const token of [signedIn.access_token, String(refreshed.body.access_token)]) {
        const claims = decodeJwt(token);
        expect(claims.client_id).toBe('writ');
        expect(claims.nbf).toBe(claims.iat);
        expect(claims.iat).toBeGreaterThanOrEqual(fromSec);
        expect(claims.iat).toBeLessThanOrEqual(untilSec);
        expect(claims.exp).toBe((claims.iat ?? 0) + 600);
      }
    } finally {
      service.clock.reset();
    }
  });
});

describe('refresh-token reuse', () => {
  it("ends only the reused token's session: the user's other sessions keep working", async () => {
    const userId = await service.addUser('two-devices@example.com', password);
    const laptop = await signInBody(service.url, 'two-devices@example.com', password, 'laptop');
    const phone = await signInBody(service.url, 'two-devices@example.com', password, 'phone');

    const rotated = await refresh(laptop.refresh_token);
    expect(rotated.status).toBe(200);
    expect((await refresh(laptop.refresh_token)).status).toBe(401);
    // The reused family is dead…
    expect((await sessionsWith(String(rotated.body.access_token))).status).toBe(401);
    expect((await refresh(String(rotated.body.refresh_token))).status).toBe(401);

    // …the phone's session is not: its access token opens the service and lists one session,
    expect((await sessionsWith(phone.access_token)).body).toMatchObject({
      sessions: [{ user_agent: 'phone', current: true }],
    });
    // its refresh token still rotates, and the new access token works too.
    const phoneRotated = await refresh(phone.refresh_token);
    expect(phoneRotated.status).toBe(200);
    expect((await sessionsWith(String(phoneRotated.body.access_token))).status).toBe(200);

    // And consumers were told to reject only the laptop's session: nothing names the phone's
    // session or the user as a whole.
    const log = await call(service.url, 'GET', '/revocations', {
      token: await service.addKey('consumer'),
    });
    const entries = log.body.entries as Array<{ target: { type: string; value: string } }>;
    const laptopSid = String(decodeJwt(laptop.access_token).sid);
    const phoneSid = String(decodeJwt(phone.access_token).sid);
    expect(entries).toContainEqual(
      expect.objectContaining({ target: { type: 'sid', value: laptopSid } }),
    );
    expect(entries.filter((entry) => entry.target.value === phoneSid)).toEqual([]);
    expect(entries.filter((entry) => entry.target.value === userId)).toEqual([]);
  });
});
