import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import {
  createWritClient,
  type SessionEndReason,
  type StoredSession,
  WritClientError,
  type WritClientOptions,
} from '../src/index.ts';
import { cookieJarFetch } from './support/cookie-jar-fetch.ts';
import { type RecordingFetch, recordingFetch } from './support/recording-fetch.ts';

let service: TestService;
const password = 'correct horse battery staple';
/** The service's default access-token lifetime, in seconds. */
const lifetimeSec = 600;

beforeAll(async () => {
  service = await startTestService();
});
afterAll(() => service.destroy());
afterEach(() => {
  vi.useRealTimers();
});

let users = 0;
async function newUser(): Promise<string> {
  users += 1;
  const email = `user${users}@example.com`;
  await service.addUser(email, password);
  return email;
}

function bodyClient(
  recorder: RecordingFetch,
  extra: Partial<WritClientOptions> = {},
): { client: ReturnType<typeof createWritClient>; ended: SessionEndReason[] } {
  const ended: SessionEndReason[] = [];
  const client = createWritClient({
    issuer: service.url,
    mode: 'body',
    fetch: recorder.fetch,
    onSessionEnded: (reason) => ended.push(reason),
    ...extra,
  });
  return { client, ended };
}

const bearerOf = (headers: Headers) => headers.get('authorization')?.replace(/^Bearer /, '');

/** Nothing the client sent had a token in its URL. */
function expectNoTokenInUrls(recorder: RecordingFetch) {
  for (const request of recorder.sent) {
    expect(request.url.href).not.toMatch(/eyJ|wrt_/);
  }
}

/** Moves the clock (of this process, hence of the in-process service too) `sec` ahead. */
function advanceClock(sec: number) {
  vi.useFakeTimers({ toFake: ['Date'] });
  vi.setSystemTime(Date.now() + sec * 1000);
}

describe('body mode', () => {
  it('signs in and calls a protected endpoint with a bearer header, never a URL', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client } = bodyClient(recorder);
    expect(client.signedIn).toBe(false);
    await client.signIn(email, password);
    expect(client.signedIn).toBe(true);

    const response = await client.fetch('/auth/sessions');
    expect(response.status).toBe(200);
    const { sessions } = (await response.json()) as { sessions: Array<{ current: boolean }> };
    expect(sessions).toEqual([expect.objectContaining({ current: true })]);

    const get = recorder.sent.at(-1);
    expect(get?.url.href).toBe(`${service.url}/auth/sessions`);
    expect(bearerOf(get?.headers ?? new Headers())).toMatch(/^eyJ/);
    expectNoTokenInUrls(recorder);
    // The client object shows its state, not its secrets.
    expect(JSON.stringify(client)).toBe('{"signedIn":true}');
  });

  it('refuses a wrong password with a typed error that quotes nothing', async () => {
    const email = await newUser();
    const { client } = bodyClient(recordingFetch());
    const error = await client.signIn(email, 'not the password at all').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WritClientError);
    expect(error).toMatchObject({ code: 'invalid_credentials', status: 401 });
    expect(String((error as Error).message)).not.toContain('not the password');
    expect(client.signedIn).toBe(false);
    await expect(client.fetch('/auth/sessions')).rejects.toMatchObject({ code: 'not_signed_in' });
  });

  it('refreshes exactly once for 50 concurrent requests when the token is about to expire', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client } = bodyClient(recorder);
    await client.signIn(email, password);
    const before = recorder.sent.length;
    await client.fetch('/auth/sessions');
    const firstToken = bearerOf(recorder.sent[before]?.headers ?? new Headers());

    advanceClock(lifetimeSec - 20); // inside the default 30 s leeway, not yet expired
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => client.fetch('/auth/sessions')),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(recorder.count('/auth/refresh')).toBe(1);

    // Every request waited for the refresh and went out with the new token.
    const gets = recorder.sent.slice(before + 1).filter((r) => r.url.pathname === '/auth/sessions');
    expect(gets).toHaveLength(50);
    const tokens = new Set(gets.map((r) => bearerOf(r.headers)));
    expect(tokens.size).toBe(1);
    expect(tokens.has(firstToken)).toBe(false);
    // The refresh was ordered before every one of them.
    const refreshIndex = recorder.sent.findIndex((r) => r.url.pathname === '/auth/refresh');
    expect(refreshIndex).toBe(before + 1);
    expectNoTokenInUrls(recorder);
  });

  it('after the session is deleted elsewhere: one refresh attempt, onSessionEnded, no loop', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client, ended } = bodyClient(recorder);
    await client.signIn(email, password);
    const other = await signInBody(service.url, email, password);
    const listed = await call(service.url, 'GET', '/auth/sessions', { token: other.access_token });
    const mine = (listed.body.sessions as Array<{ id: string; current: boolean }>).find(
      (s) => !s.current,
    );
    expect(
      (
        await call(service.url, 'DELETE', `/auth/sessions/${mine?.id}`, {
          token: other.access_token,
        })
      ).status,
    ).toBe(204);

    const before = recorder.sent.length;
    const response = await client.fetch('/auth/sessions');
    expect(response.status).toBe(401);
    expect(recorder.sent.slice(before).map((r) => `${r.method} ${r.url.pathname}`)).toEqual([
      'GET /auth/sessions',
      'POST /auth/refresh',
    ]);
    expect(ended).toEqual(['refresh_rejected']);
    expect(client.signedIn).toBe(false);

    await expect(client.fetch('/auth/sessions')).rejects.toMatchObject({ code: 'not_signed_in' });
    expect(recorder.sent).toHaveLength(before + 2);
    expect(ended).toEqual(['refresh_rejected']);
  });

  it('after "sign out everywhere" from another client: one refresh attempt, then ended', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client, ended } = bodyClient(recorder);
    const { client: otherClient } = bodyClient(recordingFetch());
    await client.signIn(email, password);
    await otherClient.signIn(email, password);
    const everywhere = await otherClient.fetch('/auth/sign-out-everywhere', { method: 'POST' });
    expect(everywhere.status).toBe(204);

    const before = recorder.sent.length;
    expect((await client.fetch('/auth/activity')).status).toBe(401);
    expect(recorder.sent.slice(before).map((r) => r.url.pathname)).toEqual([
      '/auth/activity',
      '/auth/refresh',
    ]);
    expect(ended).toEqual(['refresh_rejected']);
  });

  it('retries a 401 once with a fresh token, returns the second 401, and then stops refreshing', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client, ended } = bodyClient(recorder);
    await client.signIn(email, password);

    // /revocations wants a consumer key: a user's token is refused however fresh it is.
    let before = recorder.sent.length;
    expect((await client.fetch('/revocations')).status).toBe(401);
    expect(recorder.sent.slice(before).map((r) => r.url.pathname)).toEqual([
      '/revocations',
      '/auth/refresh',
      '/revocations',
    ]);
    before = recorder.sent.length;
    expect((await client.fetch('/revocations')).status).toBe(401);
    expect(recorder.sent.slice(before).map((r) => r.url.pathname)).toEqual(['/revocations']);

    // The session itself is fine.
    expect((await client.fetch('/auth/sessions')).status).toBe(200);
    expect(client.signedIn).toBe(true);
    expect(ended).toEqual([]);
  });

  it('retries a replayable body after a 401 but never a one-shot stream', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client } = bodyClient(recorder);
    await client.signIn(email, password);
    const headers = { 'content-type': 'application/json' };
    const body = JSON.stringify({ email: 'new@example.com', password });

    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode(body));
        controller.close();
      },
    });
    // /admin/users wants an admin key, so any user token gets 401.
    const streamed = await client.fetch('/admin/users', {
      method: 'POST',
      headers,
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(streamed.status).toBe(401);
    expect(recorder.count('/admin/users', 'POST')).toBe(1);

    const replayable = await client.fetch('/admin/users', { method: 'POST', headers, body });
    expect(replayable.status).toBe(401);
    expect(recorder.count('/admin/users', 'POST')).toBe(3);
  });

  it('signs out at the service and forgets the session', async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client, ended } = bodyClient(recorder);
    await client.signIn(email, password);
    await client.fetch('/auth/sessions');
    const accessToken = bearerOf(recorder.sent.at(-1)?.headers ?? new Headers()) ?? '';

    await client.signOut();
    expect(recorder.sent.at(-1)).toMatchObject({ method: 'POST' });
    expect(recorder.sent.at(-1)?.url.pathname).toBe('/auth/sign-out');
    expect(recorder.received.at(-1)?.status).toBe(204);
    expect(client.signedIn).toBe(false);
    expect(ended).toEqual(['signed_out']);
    expect((await call(service.url, 'GET', '/auth/sessions', { token: accessToken })).status).toBe(
      401,
    );
    // Signing out again is harmless and sends nothing.
    const sent = recorder.sent.length;
    await client.signOut();
    expect(recorder.sent).toHaveLength(sent);
    expect(ended).toEqual(['signed_out']);
  });

  it('persists through a tokenStore: a restarted app resumes without signing in', async () => {
    const email = await newUser();
    let saved: StoredSession | undefined;
    let saves = 0;
    const tokenStore = {
      load: () => saved,
      save: (session: StoredSession) => {
        saved = session;
        saves += 1;
      },
      clear: () => {
        saved = undefined;
      },
    };
    const first = bodyClient(recordingFetch(), { tokenStore });
    await first.client.signIn(email, password);
    expect(saves).toBe(1);
    expect(saved?.accessToken).toMatch(/^eyJ/);

    const recorder = recordingFetch();
    const restarted = bodyClient(recorder, { tokenStore });
    expect(restarted.client.signedIn).toBe(false);
    expect(await restarted.client.resume()).toBe(true);
    expect((await restarted.client.fetch('/auth/sessions')).status).toBe(200);
    expect(recorder.count('/auth/sign-in')).toBe(0);

    // A refresh rotates the stored pair.
    const savedBefore = saved;
    advanceClock(lifetimeSec - 10);
    expect((await restarted.client.fetch('/auth/sessions')).status).toBe(200);
    expect(recorder.count('/auth/refresh')).toBe(1);
    expect(saves).toBe(2);
    expect(saved?.refreshToken).not.toBe(savedBefore?.refreshToken);

    await restarted.client.signOut();
    expect(saved).toBeUndefined();
  });

  it('reports a failing tokenStore as a typed error that quotes no token', async () => {
    const email = await newUser();
    const tokenStore = {
      load: () => undefined,
      save: (session: StoredSession) => {
        throw new Error(`disk full while writing ${session.refreshToken}`);
      },
      clear: () => {},
    };
    const { client } = bodyClient(recordingFetch(), { tokenStore });
    const error = await client.signIn(email, password).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'token_store_failed' });
    expect((error as Error).message).not.toMatch(/wrt_|disk full/);
  });

  it('surfaces sign-in throttling with its Retry-After', async () => {
    const email = await newUser();
    const { client } = bodyClient(recordingFetch());
    const codes: string[] = [];
    let retryAfterSec: number | undefined;
    for (let i = 0; i < 7; i++) {
      const error = await client.signIn(email, 'guess guess guess').catch((e: unknown) => e);
      codes.push((error as WritClientError).code);
      if ((error as WritClientError).code === 'slow_down') {
        retryAfterSec = (error as WritClientError).retryAfterSec;
      }
    }
    expect(codes.slice(0, 5)).toEqual(Array(5).fill('invalid_credentials'));
    expect(codes.at(-1)).toBe('slow_down');
    expect(retryAfterSec).toBeGreaterThanOrEqual(1);
  });

  it("lets a caller's signal abandon its wait without cancelling the shared refresh", async () => {
    const email = await newUser();
    const recorder = recordingFetch();
    const { client } = bodyClient(recorder);
    await client.signIn(email, password);
    advanceClock(lifetimeSec - 10);
    const controller = new AbortController();
    const abandoned = client.fetch('/auth/sessions', { signal: controller.signal });
    const waiting = client.fetch('/auth/sessions');
    controller.abort();
    await expect(abandoned).rejects.toMatchObject({ name: 'AbortError' });
    expect((await waiting).status).toBe(200);
    expect(recorder.count('/auth/refresh')).toBe(1);
    expect(recorder.count('/auth/sessions')).toBe(1);
  });

  it('refuses unsafe configuration and foreign origins before sending anything', async () => {
    const base = { issuer: service.url, mode: 'body' } as const;
    for (const options of [
      { ...base, refreshLeewaySec: 1 },
      { ...base, refreshLeewaySec: 3600 },
      { ...base, issuer: 'http://auth.example.com' },
      { ...base, issuer: 'not a url' },
      { ...base, issuer: `${service.url}?x=1` },
      { ...base, allowedOrigins: ['http://api.example.com'] },
      { ...base, allowedOrigins: ['https://api.example.com/v1'] },
      {
        ...base,
        mode: 'cookie',
        tokenStore: { load: () => undefined, save: () => {}, clear: () => {} },
      },
    ] as WritClientOptions[]) {
      expect(() => createWritClient(options)).toThrow(
        expect.objectContaining({ code: 'invalid_configuration' }),
      );
    }

    const email = await newUser();
    const recorder = recordingFetch();
    const { client } = bodyClient(recorder, { allowedOrigins: ['https://api.example.com'] });
    await client.signIn(email, password);
    const sent = recorder.sent.length;
    await expect(client.fetch('https://elsewhere.example.com/me')).rejects.toMatchObject({
      code: 'origin_not_allowed',
    });
    await expect(client.fetch('http://api.example.com/me')).rejects.toMatchObject({
      code: 'origin_not_allowed',
    });
    expect(recorder.sent).toHaveLength(sent);
  });
});

describe('cookie mode', () => {
  /** One "browser": a cookie jar shared by every client (page) built on it. */
  function browser() {
    const jar = cookieJarFetch();
    return {
      jar,
      page() {
        const recorder = recordingFetch(jar.fetch);
        const ended: SessionEndReason[] = [];
        const client = createWritClient({
          issuer: service.url,
          mode: 'cookie',
          fetch: recorder.fetch,
          onSessionEnded: (reason) => ended.push(reason),
        });
        return { client, recorder, ended };
      },
    };
  }

  /** The client saw no token: not in what it sent, not in what it received, not in itself. */
  function expectTokensUnseen(page: ReturnType<ReturnType<typeof browser>['page']>) {
    for (const request of page.recorder.sent) {
      expect(request.headers.has('authorization')).toBe(false);
      expect(request.headers.has('cookie')).toBe(false);
      expect(`${request.url.href} ${request.body ?? ''}`).not.toMatch(/eyJ|wrt_/);
    }
    for (const response of page.recorder.received) expect(response.text).not.toMatch(/eyJ|wrt_/);
    expect(JSON.stringify(page.client)).not.toMatch(/eyJ|wrt_/);
  }

  it('keeps the tokens in cookies and sends X-CSRF-Token on unsafe methods only', async () => {
    const email = await newUser();
    const { jar, page } = browser();
    const tab = page();
    await tab.client.signIn(email, password);
    expect(tab.client.signedIn).toBe(true);
    // The browser holds the tokens...
    expect(jar.values()['__Host-writ-access']).toMatch(/^eyJ/);
    expect(jar.values()['__Secure-writ-refresh']).toMatch(/^wrt_/);

    const get = await tab.client.fetch('/auth/sessions');
    expect(get.status).toBe(200);
    const sentGet = tab.recorder.sent.at(-1);
    expect(sentGet?.headers.has('x-csrf-token')).toBe(false);
    expect(sentGet?.credentials).toBe('include');

    // 404 means authenticated and CSRF-checked; a missing or wrong CSRF value would be 403.
    const del = await tab.client.fetch('/auth/sessions/ses_unknown', { method: 'DELETE' });
    expect(del.status).toBe(404);
    const sentDelete = tab.recorder.sent.at(-1);
    expect(sentDelete?.headers.get('x-csrf-token')).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const post = await tab.client.fetch('/auth/sessions/sign-out-others', { method: 'POST' });
    expect(post.status).toBe(204);
    expect(tab.recorder.sent.at(-1)?.headers.has('x-csrf-token')).toBe(true);

    // ...and the client never sees them.
    expectTokensUnseen(tab);
  });

  it('recovers the CSRF value after a page reload with exactly one refresh', async () => {
    const email = await newUser();
    const { page } = browser();
    await page().client.signIn(email, password);

    const reloaded = page();
    expect(reloaded.client.signedIn).toBe(false);
    const results = await Promise.all([
      reloaded.client.fetch('/auth/sessions'),
      reloaded.client.fetch('/auth/sessions/ses_unknown', { method: 'DELETE' }),
      reloaded.client.fetch('/auth/sessions/ses_unknown', { method: 'DELETE' }),
    ]);
    expect(results.map((r) => r.status)).toEqual([200, 404, 404]);
    expect(reloaded.recorder.count('/auth/refresh')).toBe(1);
    expect(reloaded.recorder.sent[0]?.url.pathname).toBe('/auth/refresh');
    expect(reloaded.client.signedIn).toBe(true);
    expectTokensUnseen(reloaded);

    // A browser with no session: resume says so, and nobody is told a session ended.
    const stranger = browser().page();
    expect(await stranger.client.resume()).toBe(false);
    await expect(stranger.client.fetch('/auth/sessions')).rejects.toMatchObject({
      code: 'not_signed_in',
    });
    expect(stranger.recorder.count('/auth/refresh')).toBe(1);
    expect(stranger.ended).toEqual([]);
  });

  it('recovers with one refresh when another tab signed in again and changed the CSRF value', async () => {
    const email = await newUser();
    const { page } = browser();
    const first = page();
    await first.client.signIn(email, password);
    const second = page();
    await second.client.signIn(email, password);
    // The cookies now belong to the second session; the first tab still holds the old CSRF value.
    const response = await first.client.fetch('/auth/sessions/ses_unknown', { method: 'DELETE' });
    expect(response.status).toBe(404);
    expect(first.recorder.count('/auth/refresh')).toBe(1);
    expect(first.ended).toEqual([]);
  });

  it('refreshes once for concurrent requests near expiry, through the cookie', async () => {
    const email = await newUser();
    const { jar, page } = browser();
    const tab = page();
    await tab.client.signIn(email, password);
    const accessBefore = jar.values()['__Host-writ-access'];

    advanceClock(lifetimeSec - 5);
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0
          ? tab.client.fetch('/auth/sessions')
          : tab.client.fetch('/auth/sessions/ses_unknown', { method: 'DELETE' }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(
      Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? 200 : 404)),
    );
    expect(tab.recorder.count('/auth/refresh')).toBe(1);
    expect(jar.values()['__Host-writ-access']).not.toBe(accessBefore);
    expectTokensUnseen(tab);
  });

  it('ends the session after one refresh attempt when it was ended elsewhere', async () => {
    const email = await newUser();
    const tab = browser().page();
    await tab.client.signIn(email, password);
    const other = await signInBody(service.url, email, password);
    await call(service.url, 'POST', '/auth/sign-out-everywhere', { token: other.access_token });

    const before = tab.recorder.sent.length;
    expect((await tab.client.fetch('/auth/sessions')).status).toBe(401);
    expect(tab.recorder.sent.slice(before).map((r) => r.url.pathname)).toEqual([
      '/auth/sessions',
      '/auth/refresh',
    ]);
    expect(tab.ended).toEqual(['refresh_rejected']);
    expect(tab.client.signedIn).toBe(false);
  });

  it('signs out with the CSRF value, and the service clears the cookies', async () => {
    const email = await newUser();
    const { jar, page } = browser();
    const tab = page();
    await tab.client.signIn(email, password);
    await tab.client.signOut();
    const sentSignOut = tab.recorder.sent.at(-1);
    expect(sentSignOut?.url.pathname).toBe('/auth/sign-out');
    expect(sentSignOut?.headers.has('x-csrf-token')).toBe(true);
    expect(tab.recorder.received.at(-1)?.status).toBe(204);
    expect(jar.values()).toEqual({});
    expect(tab.client.signedIn).toBe(false);
    expect(tab.ended).toEqual(['signed_out']);
    expect(await page().client.resume()).toBe(false);
  });
});
