import { createVerifier } from '@writ/verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';

let service: TestService;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());

const base = () => service.url;

describe('sign-in', () => {
  it('issues a short-lived RFC 9068 access token and an opaque refresh token', async () => {
    const userId = await service.addUser('ada@example.com', password);
    const tokens = await signInBody(base(), 'Ada@Example.com ', password);
    expect(tokens.token_type).toBe('Bearer');
    expect(tokens.expires_in).toBe(600);
    expect(tokens.refresh_token).toMatch(/^wrt_[A-Za-z0-9_-]{43}$/);
    expect(decodeProtectedHeader(tokens.access_token)).toMatchObject({
      alg: 'EdDSA',
      typ: 'at+jwt',
    });
    const claims = decodeJwt(tokens.access_token);
    expect(claims).toMatchObject({
      iss: service.url,
      sub: userId,
      aud: 'https://api.writ.test',
      scope: 'api',
    });
    expect(claims.sub).toMatch(/^usr_[A-Za-z0-9_-]{22}$/);
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(600);
    expect(String(claims.jti).length).toBeGreaterThanOrEqual(22);
    expect(claims.sid).toMatch(/^ses_/);
    expect(JSON.stringify(claims)).not.toContain('ada@example.com');
  });

  it('issues tokens that @writ/verify accepts from the published JWKS', async () => {
    const tokens = await signInBody(base(), 'ada@example.com', password);
    const verifier = createVerifier({
      issuer: service.url,
      audience: 'https://api.writ.test',
      jwksUri: `${service.url}/.well-known/jwks.json`,
    });
    await expect(verifier.verify(tokens.access_token)).resolves.toMatchObject({
      claims: { scope: 'api' },
    });
  });

  it('gives an unknown account and a wrong password the same answer', async () => {
    const unknown = await call(base(), 'POST', '/auth/sign-in', {
      body: { email: 'nobody@example.com', password },
    });
    const wrong = await call(base(), 'POST', '/auth/sign-in', {
      body: { email: 'ada@example.com', password: 'wrong password!!' },
    });
    expect(unknown.status).toBe(401);
    expect(wrong.status).toBe(401);
    expect(unknown.body).toEqual(wrong.body);
    expect(unknown.body).toEqual({ error: 'invalid_credentials' });
  });

  it('takes similar time for an unknown account and a wrong password', async () => {
    await service.addUser('tim@example.com', password);
    const timeOf = async (email: string) => {
      const start = performance.now();
      await call(base(), 'POST', '/auth/sign-in', {
        body: { email, password: 'not the password' },
      });
      return performance.now() - start;
    };
    await timeOf('warm-up@example.com');
    const unknown: number[] = [];
    const known: number[] = [];
    for (let i = 0; i < 6; i++) {
      unknown.push(await timeOf(`ghost${i}@example.com`));
      known.push(await timeOf('tim@example.com'));
    }
    const median = (values: number[]) =>
      [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
    // Both pay one Argon2id verification (~40 ms here); a shortcut for unknown accounts would
    // answer in a few ms (a twentieth). The bounds are wide because two shared cores are noisy.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.25);
    expect(median(unknown)).toBeLessThan(median(known) * 4);
  });

  it('refuses malformed bodies with 400 before doing any work', async () => {
    for (const body of [
      {},
      { email: 'a@b.c' },
      { email: 'a@b.c', password: 'x', extra: 1 },
      { email: 1, password: 'x' },
    ]) {
      const response = await call(base(), 'POST', '/auth/sign-in', { body });
      expect(response.status).toBe(400);
      expect(response.body).toEqual({ error: 'invalid_request' });
    }
  });

  it('throttles repeated failures for one account from one address with backoff', async () => {
    // (ghost and grace have no earlier failures in this file)
    await service.addUser('grace@example.com', password);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const response = await call(base(), 'POST', '/auth/sign-in', {
        body: { email: 'grace@example.com', password: 'guess guess guess' },
      });
      statuses.push(response.status);
      if (response.status === 429)
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    }
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses.slice(6)).toEqual([429]);
    // The same throttle applies to an account that does not exist: nothing to enumerate.
    const ghost: number[] = [];
    for (let i = 0; i < 7; i++) {
      ghost.push(
        (
          await call(base(), 'POST', '/auth/sign-in', {
            body: { email: 'ghost@example.com', password: 'guess guess guess' },
          })
        ).status,
      );
    }
    expect(ghost).toEqual(statuses);
  });

  it('counts concurrent guesses before checking them: a burst cannot outrun the throttle', async () => {
    await service.addUser('burst@example.com', password);
    // The clock stands still during the burst. The sixth failure blocks the pair for 1 s, and
    // a refused guess waits for the ones in flight and is checked again when one ends: on a
    // loaded machine the six Argon2 checks can outlast that second, and a guess checked after
    // the block expired is rightly admitted (a seventh 401). Frozen, every re-check sees the
    // block, so the count below is what the throttle admits for one burst, whatever the load.
    // Only Date is faked: timers, and the 5 s bound on waiting (performance.now), run for real.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now());
    let statuses: number[];
    try {
      statuses = await Promise.all(
        Array.from({ length: 20 }, async () => {
          const response = await call(base(), 'POST', '/auth/sign-in', {
            body: { email: 'burst@example.com', password: 'guess guess guess' },
          });
          return response.status;
        }),
      );
    } finally {
      vi.useRealTimers();
    }
    // 5 free failures, and the sixth admitted before the backoff starts.
    expect(statuses.filter((status) => status === 401)).toHaveLength(6);
    expect(statuses.filter((status) => status === 429)).toHaveLength(14);
  });
});

describe('refresh', () => {
  it('rotates: a new pair, and the old refresh token dies', async () => {
    const first = await signInBody(base(), 'ada@example.com', password);
    const second = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(second.status).toBe(200);
    expect(second.body.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(String(second.body.access_token)).sid).toBe(decodeJwt(first.access_token).sid);
    const third = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: second.body.refresh_token },
    });
    expect(third.status).toBe(200);
  });

  it('treats a reused refresh token as theft: the whole session is revoked and recorded', async () => {
    const first = await signInBody(base(), 'ada@example.com', password);
    const rotated = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(rotated.status).toBe(200);
    const replay = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(replay.status).toBe(401);
    expect(replay.body).toEqual({ error: 'invalid_grant' });
    // The legitimate holder's newer refresh token died with the family.
    const legit = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expect(legit.status).toBe(401);
    // And its access token no longer opens the service.
    const sessions = await call(base(), 'GET', '/auth/sessions', {
      token: String(rotated.body.access_token),
    });
    expect(sessions.status).toBe(401);
    const other = await signInBody(base(), 'ada@example.com', password);
    const activity = await call(base(), 'GET', '/auth/activity', { token: other.access_token });
    expect(
      (activity.body.activity as Array<{ type: string }>).some(
        (event) => event.type === 'refresh_reuse',
      ),
    ).toBe(true);
    const log = await call(base(), 'GET', '/revocations', {
      token: await service.addKey('consumer'),
    });
    const sid = decodeJwt(first.access_token).sid;
    expect(log.body.entries).toContainEqual(
      expect.objectContaining({ target: { type: 'sid', value: sid }, cause: 'refresh_reuse' }),
    );
  });

  it('lets exactly one of 20 concurrent refreshes with one token win, and revokes the session', async () => {
    const first = await signInBody(base(), 'ada@example.com', password);
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        call(base(), 'POST', '/auth/refresh', { body: { refresh_token: first.refresh_token } }),
      ),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 401)).toHaveLength(19);
    const after = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: winners[0]?.body.refresh_token },
    });
    expect(after.status).toBe(401);
  });

  it('refuses an unknown refresh token, a request with none, and one with two', async () => {
    expect(
      (await call(base(), 'POST', '/auth/refresh', { body: { refresh_token: 'wrt_nope' } })).status,
    ).toBe(401);
    // No credential at all is the ordinary "no session" case for a browser: invalid_grant.
    const none = await call(base(), 'POST', '/auth/refresh', { body: {} });
    expect(none).toMatchObject({ status: 401, body: { error: 'invalid_grant' } });
    const two = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: 'wrt_a' },
      headers: { cookie: '__Secure-writ-refresh=wrt_b', 'x-writ-refresh': '1' },
    });
    expect(two.status).toBe(400);
  });
});

describe('sessions', () => {
  it('lists the live sessions with the current one marked', async () => {
    await service.addUser('lin@example.com', password);
    const phone = await signInBody(base(), 'lin@example.com', password, 'Phone/1.0');
    const laptop = await signInBody(base(), 'lin@example.com', password, 'Laptop/2.0');
    const listed = await call(base(), 'GET', '/auth/sessions', { token: laptop.access_token });
    expect(listed.status).toBe(200);
    const sessions = listed.body.sessions as Array<Record<string, unknown>>;
    expect(sessions).toHaveLength(2);
    expect(sessions.find((s) => s.current === true)).toMatchObject({
      user_agent: 'Laptop/2.0',
      ip: '127.0.0.1',
    });
    expect(sessions.find((s) => s.current === false)).toMatchObject({ user_agent: 'Phone/1.0' });
    expect(Object.keys(sessions[0] ?? {}).sort()).toEqual([
      'created_at',
      'current',
      'id',
      'ip',
      'last_used_at',
      'user_agent',
    ]);
    void phone;
  });

  it("deletes one session, and answers another user's session id like an unknown one", async () => {
    await service.addUser('mia@example.com', password);
    const a = await signInBody(base(), 'mia@example.com', password);
    const b = await signInBody(base(), 'mia@example.com', password);
    const bSid = String(decodeJwt(b.access_token).sid);
    const stranger = await signInBody(base(), 'ada@example.com', password);
    expect(
      (await call(base(), 'DELETE', `/auth/sessions/${bSid}`, { token: stranger.access_token }))
        .status,
    ).toBe(404);
    // The stranger's attempt left the session as it was.
    expect((await call(base(), 'GET', '/auth/sessions', { token: b.access_token })).status).toBe(
      200,
    );
    expect(
      (await call(base(), 'DELETE', '/auth/sessions/ses_unknown', { token: a.access_token }))
        .status,
    ).toBe(404);
    expect(
      (await call(base(), 'DELETE', `/auth/sessions/${bSid}`, { token: a.access_token })).status,
    ).toBe(204);
    expect((await call(base(), 'GET', '/auth/sessions', { token: b.access_token })).status).toBe(
      401,
    );
    expect(
      (await call(base(), 'POST', '/auth/refresh', { body: { refresh_token: b.refresh_token } }))
        .status,
    ).toBe(401);
  });

  it('ends a session once however many deletes of it race: one 204, the rest 404', async () => {
    await service.addUser('ines@example.com', password);
    const a = await signInBody(base(), 'ines@example.com', password);
    const b = await signInBody(base(), 'ines@example.com', password);
    const bSid = String(decodeJwt(b.access_token).sid);
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () =>
        call(base(), 'DELETE', `/auth/sessions/${bSid}`, { token: a.access_token }).then(
          (response) => response.status,
        ),
      ),
    );
    expect(statuses.filter((status) => status === 204)).toHaveLength(1);
    expect(statuses.filter((status) => status === 404)).toHaveLength(7);
  });

  it('signs out the current session only', async () => {
    await service.addUser('noa@example.com', password);
    const a = await signInBody(base(), 'noa@example.com', password);
    const b = await signInBody(base(), 'noa@example.com', password);
    expect((await call(base(), 'POST', '/auth/sign-out', { token: a.access_token })).status).toBe(
      204,
    );
    expect((await call(base(), 'GET', '/auth/sessions', { token: a.access_token })).status).toBe(
      401,
    );
    expect(
      (await call(base(), 'POST', '/auth/refresh', { body: { refresh_token: a.refresh_token } }))
        .status,
    ).toBe(401);
    expect((await call(base(), 'GET', '/auth/sessions', { token: b.access_token })).status).toBe(
      200,
    );
  });

  it('signs out the other sessions, keeping the current one', async () => {
    await service.addUser('ola@example.com', password);
    const keep = await signInBody(base(), 'ola@example.com', password);
    const others = [
      await signInBody(base(), 'ola@example.com', password),
      await signInBody(base(), 'ola@example.com', password),
    ];
    expect(
      (await call(base(), 'POST', '/auth/sessions/sign-out-others', { token: keep.access_token }))
        .status,
    ).toBe(204);
    for (const other of others) {
      expect(
        (await call(base(), 'GET', '/auth/sessions', { token: other.access_token })).status,
      ).toBe(401);
    }
    const listed = await call(base(), 'GET', '/auth/sessions', { token: keep.access_token });
    expect(listed.body.sessions).toHaveLength(1);
  });

  it('signs out everywhere: every session and every token issued until now', async () => {
    const userId = await service.addUser('pia@example.com', password);
    const a = await signInBody(base(), 'pia@example.com', password);
    const b = await signInBody(base(), 'pia@example.com', password);
    expect(
      (await call(base(), 'POST', '/auth/sign-out-everywhere', { token: a.access_token })).status,
    ).toBe(204);
    for (const tokens of [a, b]) {
      expect(
        (await call(base(), 'GET', '/auth/sessions', { token: tokens.access_token })).status,
      ).toBe(401);
      expect(
        (
          await call(base(), 'POST', '/auth/refresh', {
            body: { refresh_token: tokens.refresh_token },
          })
        ).status,
      ).toBe(401);
    }
    const log = await call(base(), 'GET', '/revocations', {
      token: await service.addKey('consumer'),
    });
    expect(log.body.entries).toContainEqual(
      expect.objectContaining({
        target: expect.objectContaining({ type: 'sub', value: userId }),
        cause: 'sign_out_everywhere',
      }),
    );
    // Signing in again right away works.
    const again = await signInBody(base(), 'pia@example.com', password);
    expect(
      (await call(base(), 'GET', '/auth/sessions', { token: again.access_token })).status,
    ).toBe(200);
  });

  it('refuses the session endpoints without a valid token, uniformly', async () => {
    const none = await call(base(), 'GET', '/auth/sessions');
    expect(none.status).toBe(401);
    const bad = await call(base(), 'GET', '/auth/sessions', { token: 'e30.e30.AAAA' });
    expect(bad.status).toBe(401);
    expect(bad.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
  });
});

describe('activity', () => {
  it('records sign-in, failures, refresh and sign-out with time, session, IP and agent', async () => {
    await service.addUser('quinn@example.com', password);
    await call(base(), 'POST', '/auth/sign-in', {
      body: { email: 'quinn@example.com', password: 'wrong wrong wrong' },
    });
    const tokens = await signInBody(base(), 'quinn@example.com', password, 'Quinn/1.0');
    const refreshed = await call(base(), 'POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh_token },
      headers: { 'user-agent': 'Quinn/1.0' },
    });
    const activity = await call(base(), 'GET', '/auth/activity', {
      token: String(refreshed.body.access_token),
    });
    const events = activity.body.activity as Array<Record<string, unknown>>;
    expect(events.map((e) => e.type)).toEqual(['refresh', 'sign_in', 'sign_in_failed']);
    expect(events[0]).toMatchObject({
      ip: '127.0.0.1',
      user_agent: 'Quinn/1.0',
      session_id: decodeJwt(tokens.access_token).sid,
    });
    expect(Date.parse(String(events[0]?.at))).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe('discovery', () => {
  it('publishes RFC 8414 metadata and the JWKS', async () => {
    const metadata = await call(base(), 'GET', '/.well-known/oauth-authorization-server');
    expect(metadata.body).toMatchObject({
      issuer: service.url,
      jwks_uri: `${service.url}/.well-known/jwks.json`,
      writ_access_token_signing_alg_values_supported: ['EdDSA'],
    });
    const jwks = await call(base(), 'GET', '/.well-known/jwks.json');
    const keys = jwks.body.keys as Array<Record<string, unknown>>;
    expect(keys).toHaveLength(1);
    expect(keys[0]).toMatchObject({ kty: 'OKP', crv: 'Ed25519', alg: 'EdDSA', use: 'sig' });
    expect(keys[0]).not.toHaveProperty('d');
  });
});

describe('the admin API', () => {
  it('creates users with an admin key and refuses without one', async () => {
    const adminKey = await service.addKey('admin');
    const created = await call(base(), 'POST', '/admin/users', {
      token: adminKey,
      body: { email: 'root@example.com', password },
    });
    expect(created.status).toBe(201);
    expect(created.body.id).toMatch(/^usr_/);
    expect(
      (
        await call(base(), 'POST', '/admin/users', {
          token: adminKey,
          body: { email: 'root@example.com', password },
        })
      ).status,
    ).toBe(409);
    expect(
      (
        await call(base(), 'POST', '/admin/users', {
          token: adminKey,
          body: { email: 'short@example.com', password: 'short' },
        })
      ).status,
    ).toBe(400);
    expect(
      (await call(base(), 'POST', '/admin/users', { body: { email: 'x@example.com', password } }))
        .status,
    ).toBe(401);
    const consumerKey = await service.addKey('consumer');
    expect(
      (
        await call(base(), 'POST', '/admin/users', {
          token: consumerKey,
          body: { email: 'x@example.com', password },
        })
      ).status,
    ).toBe(401);
  });
});
