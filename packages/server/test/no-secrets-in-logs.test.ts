import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type JsonResponse } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { createApiKey } from '../src/api-keys/create-api-key.ts';
import { type RunningService, startService } from '../src/index.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { refreshBindingCookieName } from '../src/sessions/refresh-binding.ts';
import { accessCookieName, refreshCookieName } from '../src/sessions/session-cookies.ts';
import { openSse } from './support/sse-reader.ts';

/**
 * The service runs with its logger on at trace level, writing into memory, while the test drives
 * the flows an app and an operator would over HTTP. Every secret the test makes or is handed is
 * remembered; afterwards none of them — nor any 16-character base64url piece of one — may appear
 * in what was logged.
 */

/** The shortest run of a secret's base64url characters that counts as leaking it. */
const leakLength = 16;

const logLines: string[] = [];
const secrets = new Map<string, string>();
let dataDir: string;
let service: RunningService;
let base: string;

function remember(what: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') {
    throw new Error(`expected ${what} to be a non-empty string, got ${JSON.stringify(value)}`);
  }
  secrets.set(`${what} #${secrets.size}`, value);
  return value;
}

function expectStatus(response: JsonResponse | Response, status: number): void {
  expect(response.status).toBe(status);
}

/** The cookies an answer sets, by name (values only: the test plays a browser's jar). */
function setCookies(headers: Headers): Map<string, string> {
  const cookies = new Map<string, string>();
  for (const line of headers.getSetCookie()) {
    const pair = line.split(';', 1)[0] ?? '';
    const separator = pair.indexOf('=');
    cookies.set(pair.slice(0, separator), pair.slice(separator + 1));
  }
  return cookies;
}

async function signInBody(email: string, password: string) {
  const response = await call(base, 'POST', '/auth/sign-in', { body: { email, password } });
  expectStatus(response, 200);
  return {
    access: remember('access token', response.body.access_token),
    refresh: remember('refresh token', response.body.refresh_token),
  };
}

async function signInCookie(email: string, password: string) {
  const response = await fetch(`${base}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, mode: 'cookie' }),
  });
  expectStatus(response, 200);
  const body = (await response.json()) as Record<string, unknown>;
  const cookies = setCookies(response.headers);
  return {
    csrf: remember('CSRF value', body.csrf_token),
    access: remember('access cookie', cookies.get(accessCookieName)),
    refresh: remember('refresh cookie', cookies.get(refreshCookieName)),
    binding: remember('refresh binding cookie', cookies.get(refreshBindingCookieName)),
  };
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'writ-logs-'));
  const masterKey = remember('master key', randomBytes(32).toString('base64url'));
  const env = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: String(await freePort()),
    WRIT_MASTER_KEY: masterKey,
    WRIT_AUDIENCE: 'https://api.writ.test',
    WRIT_REVOCATION_HEARTBEAT: '1',
  };
  const config = loadConfig({ env, cwd: dataDir, warn: () => {} });
  service = await startService(config, {
    logger: { level: 'trace', stream: { write: (line) => logLines.push(line) } },
  });
  base = service.url;
});

afterAll(async () => {
  await service?.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe("the service's logs", () => {
  it('hold request lines and none of the passwords, tokens, CSRF values or keys of a full run', async () => {
    // Keys are made the way `writ admin-key add` and `writ consumer add` make them.
    const adminKey = remember('admin key', await createApiKey(service.context, 'admin', 'logs'));
    const consumerKey = remember(
      'consumer key',
      await createApiKey(service.context, 'consumer', 'logs-mirror'),
    );
    const email = `logs-${randomBytes(4).toString('hex')}@example.com`;
    const password = remember('password', `pw ${randomBytes(18).toString('base64url')}`);
    const wrongPassword = remember('wrong password', `pw ${randomBytes(18).toString('base64url')}`);

    expectStatus(
      await call(base, 'POST', '/admin/users', { token: adminKey, body: { email, password } }),
      201,
    );

    // Body mode: sign in, refresh, replay the spent refresh token (reuse: the session is revoked).
    const first = await signInBody(email, password);
    const rotated = await call(base, 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh },
    });
    expectStatus(rotated, 200);
    const rotatedAccess = remember('access token', rotated.body.access_token);
    remember('refresh token', rotated.body.refresh_token);
    expectStatus(await call(base, 'GET', '/auth/sessions', { token: rotatedAccess }), 200);
    expectStatus(
      await call(base, 'POST', '/auth/refresh', { body: { refresh_token: first.refresh } }),
      401,
    );
    expectStatus(
      await call(base, 'POST', '/auth/sign-in', { body: { email, password: wrongPassword } }),
      401,
    );

    // A consumer reads the snapshot and holds the stream open while sessions end.
    const snapshot = await call(base, 'GET', '/revocations', { token: consumerKey });
    expectStatus(snapshot, 200);
    const stream = await openSse(`${base}/revocations/stream?after=0`, {
      authorization: `Bearer ${consumerKey}`,
    });

    // Cookie mode: sign in, read with the cookie, refresh with the cookie, sign out with CSRF.
    const browser = await signInCookie(email, password);
    expectStatus(
      await fetch(`${base}/auth/sessions`, {
        headers: { cookie: `${accessCookieName}=${browser.access}` },
      }),
      200,
    );
    const cookieRefresh = await fetch(`${base}/auth/refresh`, {
      method: 'POST',
      headers: {
        cookie: `${refreshCookieName}=${browser.refresh}; ${refreshBindingCookieName}=${browser.binding}`,
        'x-writ-refresh': '1',
      },
    });
    expectStatus(cookieRefresh, 200);
    const refreshedCsrf = remember(
      'CSRF value',
      ((await cookieRefresh.json()) as Record<string, unknown>).csrf_token,
    );
    const refreshedCookies = setCookies(cookieRefresh.headers);
    const refreshedAccess = remember('access cookie', refreshedCookies.get(accessCookieName));
    remember('refresh cookie', refreshedCookies.get(refreshCookieName));
    expectStatus(
      await fetch(`${base}/auth/sign-out`, {
        method: 'POST',
        headers: {
          cookie: `${accessCookieName}=${refreshedAccess}`,
          'x-csrf-token': refreshedCsrf,
        },
      }),
      204,
    );

    // Body mode again: sign out one session, then everywhere from another.
    const second = await signInBody(email, password);
    expectStatus(await call(base, 'POST', '/auth/sign-out', { token: second.access }), 204);
    const third = await signInBody(email, password);
    expectStatus(
      await call(base, 'POST', '/auth/sign-out-everywhere', { token: third.access }),
      204,
    );
    await stream.waitFor((event) => event.event === 'revocation');
    stream.close();
    expectStatus(await call(base, 'GET', '/revocations', { token: consumerKey }), 200);

    // Mistakes that carry secrets: a body that is not JSON, an unknown property beside the
    // password, a refresh token in the query string of an unknown route, a token on a 404.
    const truncated = await fetch(`${base}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `{"email":"${email}","password":"${password}"`,
    });
    expectStatus(truncated, 400);
    expectStatus(
      await call(base, 'POST', '/auth/sign-in', { body: { email, password, remember: true } }),
      400,
    );
    expectStatus(
      await call(base, 'POST', '/auth/refresh', {
        body: { refresh_token: second.refresh, extra: third.refresh },
      }),
      400,
    );
    expectStatus(
      await call(base, 'GET', `/nowhere?refresh_token=${third.refresh}&key=${adminKey}`, {
        token: third.access,
      }),
      404,
    );
    expectStatus(await fetch(`${base}/%`), 400);

    const log = logLines.join('');
    // The capture is real: it holds the request lines of the run, at every status it saw.
    const entries = log
      .split('\n')
      .filter((line) => line !== '')
      .map(
        (line) => JSON.parse(line) as { req?: { path?: string }; res?: { statusCode?: number } },
      );
    const paths = new Set(entries.map((entry) => entry.req?.path?.split('?')[0]));
    for (const path of ['/admin/users', '/auth/sign-in', '/auth/refresh', '/auth/sign-out']) {
      expect(paths).toContain(path);
    }
    expect(paths).toContain('/auth/sign-out-everywhere');
    expect(paths).toContain('/revocations/stream');
    expect(paths).toContain('/nowhere');
    const statuses = new Set(entries.map((entry) => entry.res?.statusCode));
    for (const status of [200, 201, 204, 400, 401, 404]) expect(statuses).toContain(status);

    const leaks: string[] = [];
    for (const [what, secret] of secrets) {
      if (log.includes(secret)) {
        leaks.push(`${what} in full`);
        continue;
      }
      // A piece is as bad as the whole: a log line cut short, or one segment of a JWT.
      for (const run of secret.match(/[A-Za-z0-9_-]{16,}/g) ?? []) {
        for (let start = 0; start + leakLength <= run.length; start++) {
          const piece = run.slice(start, start + leakLength);
          if (log.includes(piece)) {
            leaks.push(`${what}: "${piece}"`);
            break;
          }
        }
      }
    }
    expect(leaks).toEqual([]);
  });
});
