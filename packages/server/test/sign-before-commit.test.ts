import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { hashSecret } from '../src/platform/crypto/random.ts';
import {
  authorizeUrl,
  CookieJar,
  codeFlowTokens,
  codeRequest,
  exchangeCode,
  pkcePair,
  type RegisteredClient,
  refreshGrant,
  registerClient,
  signInThroughPage,
} from './support/authorize-flow.ts';
import { type RunningProcess, startSignerProcess } from './support/processes.ts';

/**
 * Sign first, commit second (sessions/refresh.ts, oauth/refresh-token-grant.ts,
 * authorize/authorization-code-grant.ts), against a real `writ signer` process that is stopped
 * and started again: a token request answered 503 because the signer is down has spent nothing,
 * so the client's retry with the same refresh token or code succeeds once the signer is back,
 * and the session is not taken for stolen. The compare-and-swap is unchanged: concurrent
 * presentations of one token or code still give one success and revoke as reuse.
 */
const dir = mkdtempSync(join(tmpdir(), 'writ-sign-first-'));
chmodSync(dir, 0o700);
const socketPath = join(dir, 'run', 'signer.sock');
const secretPath = join(dir, 'signer.secret');
writeFileSync(secretPath, randomBytes(32), { mode: 0o600 });
const signerEnv = {
  WRIT_SIGNER_SOCKET: socketPath,
  WRIT_SIGNER_SECRET_FILE: secretPath,
  WRIT_SIGNER_MASTER_KEY: randomBytes(32).toString('base64url'),
  WRIT_SIGNER_DATA_DIR: join(dir, 'signer-store'),
};
const email = 'sign-first@example.com';
const password = 'correct horse battery staple';
const credentials = { email, password };

let signer: RunningProcess;
let service: TestService;
let client: RegisteredClient;

const startSigner = (): Promise<RunningProcess> => startSignerProcess(signerEnv);

/** Runs `whileDown` with the signer stopped, then starts it again (also when `whileDown` throws). */
async function withSignerDown(whileDown: () => Promise<void>): Promise<void> {
  await signer.stop();
  try {
    await whileDown();
  } finally {
    signer = await startSigner();
  }
}

/**
 * The client's retry loop once the signer was started again: the same request until it is no
 * longer 503 (the custody reconnects with a backoff of up to 2 s).
 */
async function retryWhileUnavailable<T extends { readonly status: number }>(
  send: () => Promise<T>,
): Promise<T> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const response = await send();
    if (response.status !== 503 || Date.now() > deadline) return response;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Reads the service's database beside it (WAL: a reader sees every committed write). */
function readDatabase<T>(read: (db: DatabaseSync) => T): T {
  const db = new DatabaseSync(join(service.dataDir, 'writ.db'), { readOnly: true });
  try {
    return read(db);
  } finally {
    db.close();
  }
}

function storedSession(sessionId: string) {
  return readDatabase(
    (db) =>
      db.prepare('SELECT revoked_at, revoke_cause FROM sessions WHERE id = ?').get(sessionId) as
        | { revoked_at: number | null; revoke_cause: string | null }
        | undefined,
  );
}

/** When the stored refresh token was spent (`null`: not yet). */
function refreshTokenUsedAt(refreshToken: string): number | null | undefined {
  const row = readDatabase((db) =>
    db
      .prepare('SELECT used_at FROM refresh_tokens WHERE token_hash = ?')
      .get(hashSecret(refreshToken)),
  ) as { used_at: number | null } | undefined;
  return row?.used_at;
}

function reuseRevocations(): number {
  const row = readDatabase((db) =>
    db.prepare("SELECT count(*) AS n FROM sessions WHERE revoke_cause = 'refresh_reuse'").get(),
  ) as { n: number };
  return Number(row.n);
}

const sessionIdOf = (accessToken: string) => String(decodeJwt(accessToken).sid);

/** A code for the test client, from a sign-in through the page, with what redeems it. */
async function freshCodeRedemption() {
  const { verifier, challenge } = pkcePair();
  const redirect = await signInThroughPage(
    service,
    new CookieJar(),
    authorizeUrl(service, codeRequest(client, challenge)),
    credentials,
  );
  return {
    code: redirect.get('code') ?? '',
    code_verifier: verifier,
    redirect_uri: client.redirectUri,
  };
}

beforeAll(async () => {
  signer = await startSigner();
  service = await startTestService({
    WRIT_KEY_CUSTODY: 'signer-process',
    WRIT_SIGNER_SOCKET: socketPath,
    WRIT_SIGNER_SECRET_FILE: secretPath,
  });
  await service.addUser(email, password);
  client = await registerClient(service, await service.addKey('admin'));
}, 30_000);
afterAll(async () => {
  await service?.destroy();
  await signer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A first-party refresh in JSON body mode. */
const refreshBody = (refreshToken: string) =>
  call(service.url, 'POST', '/auth/refresh', { body: { refresh_token: refreshToken } });

async function signInWithCookies() {
  const response = await fetch(`${service.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password, mode: 'cookie' }),
  });
  expect(response.status).toBe(200);
  return {
    accessToken: accessCookieOf(response.headers),
    cookies: refreshCookiesOf(response.headers),
  };
}

/** The value of the cookie `name` that `headers` set, as `name=value`. */
function setCookie(headers: Headers, name: string): string | undefined {
  return headers
    .getSetCookie()
    .map((line) => line.split(';')[0] ?? '')
    .find((pair) => pair.startsWith(`${name}=`));
}

/** What a browser sends to /auth/refresh: the refresh cookie and its binding, as last set. */
function refreshCookiesOf(headers: Headers): string {
  return [
    setCookie(headers, '__Secure-writ-refresh'),
    setCookie(headers, '__Host-writ-binding'),
  ].join('; ');
}

/** Cookie mode: the access token is in its cookie, not in the body. */
const accessCookieOf = (headers: Headers) =>
  (setCookie(headers, '__Host-writ-access') ?? '').slice('__Host-writ-access='.length);

const refreshCookie = async (cookies: string) => {
  const response = await fetch(`${service.url}/auth/refresh`, {
    method: 'POST',
    headers: { cookie: cookies, 'x-writ-refresh': '1' },
  });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, headers: response.headers };
};

describe('a token request the signer could not sign spends nothing', () => {
  it('/auth/refresh (JSON body): 503 while the signer is down, then the same refresh token succeeds and the session lives on', async () => {
    const tokens = await signInBody(service.url, email, password);
    const sessionId = sessionIdOf(tokens.access_token);
    const reusesBefore = reuseRevocations();
    await withSignerDown(async () => {
      for (let attempt = 0; attempt < 2; attempt += 1) {
        const down = await refreshBody(tokens.refresh_token);
        expect(down.status).toBe(503);
        expect(down.body).toEqual({ error: 'temporarily_unavailable' });
      }
      expect(refreshTokenUsedAt(tokens.refresh_token)).toBeNull();
    });
    const back = await retryWhileUnavailable(() => refreshBody(tokens.refresh_token));
    expect(back.status).toBe(200);
    expect(sessionIdOf(String(back.body.access_token))).toBe(sessionId);
    expect(storedSession(sessionId)).toEqual({ revoked_at: null, revoke_cause: null });
    expect(reuseRevocations()).toBe(reusesBefore);
    // The rotation it answered is the session's: its new refresh token rotates in turn.
    const next = await refreshBody(String(back.body.refresh_token));
    expect(next.status).toBe(200);
  }, 30_000);

  it('/auth/refresh (cookie mode): 503 while the signer is down, then the same cookies succeed', async () => {
    const signedIn = await signInWithCookies();
    const sessionId = sessionIdOf(signedIn.accessToken);
    await withSignerDown(async () => {
      const down = await refreshCookie(signedIn.cookies);
      expect(down.status).toBe(503);
      // A 503 is no reason to drop the session's cookies.
      expect(down.headers.getSetCookie()).toEqual([]);
    });
    const back = await retryWhileUnavailable(() => refreshCookie(signedIn.cookies));
    expect(back.status).toBe(200);
    expect(sessionIdOf(accessCookieOf(back.headers))).toBe(sessionId);
    expect(storedSession(sessionId)).toEqual({ revoked_at: null, revoke_cause: null });
    expect((await refreshCookie(refreshCookiesOf(back.headers))).status).toBe(200);
  }, 30_000);

  it('grant_type=refresh_token: 503 while the signer is down, then the same refresh token succeeds', async () => {
    const flow = await codeFlowTokens(service, client, credentials);
    const sessionId = sessionIdOf(flow.accessToken);
    const reusesBefore = reuseRevocations();
    await withSignerDown(async () => {
      const down = await refreshGrant(service, client, flow.refreshToken);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: 'temporarily_unavailable' });
      expect(refreshTokenUsedAt(flow.refreshToken)).toBeNull();
    });
    const back = await retryWhileUnavailable(() =>
      refreshGrant(service, client, flow.refreshToken),
    );
    expect(back.status).toBe(200);
    const claims = decodeJwt(String(back.body.access_token));
    expect(claims).toMatchObject({
      sid: sessionId,
      client_id: client.clientId,
      scope: 'openid api',
    });
    expect(storedSession(sessionId)).toEqual({ revoked_at: null, revoke_cause: null });
    expect(reuseRevocations()).toBe(reusesBefore);
    expect((await refreshGrant(service, client, String(back.body.refresh_token))).status).toBe(200);
  }, 30_000);

  it('grant_type=authorization_code: 503 while the signer is down, then the same code redeems once, and a second redemption is refused and revokes', async () => {
    const redemption = await freshCodeRedemption();
    await withSignerDown(async () => {
      const down = await exchangeCode(service, client, redemption);
      expect(down.status).toBe(503);
      expect(down.body).toEqual({ error: 'temporarily_unavailable' });
      const stored = readDatabase((db) =>
        db
          .prepare('SELECT redeemed_at FROM authorization_codes WHERE code_hash = ?')
          .get(hashSecret(redemption.code)),
      );
      expect(stored).toEqual({ redeemed_at: null });
    });
    const back = await retryWhileUnavailable(() => exchangeCode(service, client, redemption));
    expect(back.status).toBe(200);
    expect(back.body).toHaveProperty('id_token');
    const sessionId = sessionIdOf(String(back.body.access_token));
    expect(storedSession(sessionId)).toEqual({ revoked_at: null, revoke_cause: null });
    // Still single-use: the second redemption is refused and ends what the first opened.
    const again = await exchangeCode(service, client, redemption);
    expect(again.status).toBe(400);
    expect(again.body).toMatchObject({ error: 'invalid_grant' });
    expect(storedSession(sessionId)?.revoke_cause).toBe('authorization_code_reuse');
  }, 30_000);
});

describe('no unit of work waits on a signature', () => {
  it('grant_type=authorization_code: while the signer hangs (SIGSTOP), other units of work still commit at once', async () => {
    const redemption = await freshCodeRedemption();
    // A signer that takes its time: the custody's call waits up to its 1 s deadline, then 503.
    signer.child.kill('SIGSTOP');
    let unitMs: number;
    let hung: { readonly status: number };
    try {
      const pending = exchangeCode(service, client, redemption);
      // Time for the redemption to reach its signature (the request itself takes a few ms).
      await new Promise((resolve) => setTimeout(resolve, 150));
      const started = performance.now();
      await service.context.db.transaction((tx) => tx.sessions.find('ses_none'));
      unitMs = performance.now() - started;
      hung = await pending;
    } finally {
      signer.child.kill('SIGCONT');
    }
    expect(hung.status).toBe(503);
    // Signed inside the redemption's unit, this unit waited for the signer's deadline (~850 ms).
    expect(unitMs).toBeLessThan(400);
    const back = await retryWhileUnavailable(() => exchangeCode(service, client, redemption));
    expect(back.status).toBe(200);
  }, 30_000);
});

describe('the compare-and-swap is unchanged by signing first', () => {
  it('two concurrent /auth/refresh with one token: exactly one succeeds, and the session is revoked as reuse', async () => {
    const tokens = await signInBody(service.url, email, password);
    const outcomes = await Promise.all([
      refreshBody(tokens.refresh_token),
      refreshBody(tokens.refresh_token),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 401]);
    expect(storedSession(sessionIdOf(tokens.access_token))?.revoke_cause).toBe('refresh_reuse');
  });

  it('two concurrent refresh_token grants with one token: exactly one succeeds, and the session is revoked as reuse', async () => {
    const flow = await codeFlowTokens(service, client, credentials);
    const outcomes = await Promise.all([
      refreshGrant(service, client, flow.refreshToken),
      refreshGrant(service, client, flow.refreshToken),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 400]);
    expect(storedSession(sessionIdOf(flow.accessToken))?.revoke_cause).toBe('refresh_reuse');
  });

  it('an opaque-token client: a dropped token leaves no phantom row, the answered one is introspectable', async () => {
    const opaque = await registerClient(service, await service.addKey('admin'), {
      access_token_format: 'opaque',
    });
    const flow = await codeFlowTokens(service, opaque, credentials);
    const phantoms = () =>
      Number(
        (
          readDatabase((db) =>
            db.prepare('SELECT count(*) AS n FROM oauth_phantom_tokens').get(),
          ) as { n: number }
        ).n,
      );
    const before = phantoms();
    const outcomes = await Promise.all([
      refreshGrant(service, opaque, flow.refreshToken),
      refreshGrant(service, opaque, flow.refreshToken),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 400]);
    const issued = outcomes.find((outcome) => outcome.status === 200);
    expect(String(issued?.body.access_token)).toMatch(/^wat_/);
    expect(phantoms()).toBe(before + 1);
  });

  it('two concurrent redemptions of one code: exactly one succeeds, and its session is revoked as code reuse', async () => {
    const redemption = await freshCodeRedemption();
    const outcomes = await Promise.all([
      exchangeCode(service, client, redemption),
      exchangeCode(service, client, redemption),
    ]);
    expect(outcomes.map((outcome) => outcome.status).sort()).toEqual([200, 400]);
    const issued = outcomes.find((outcome) => outcome.status === 200);
    const sessionId = sessionIdOf(String(issued?.body.access_token));
    expect(storedSession(sessionId)?.revoke_cause).toBe('authorization_code_reuse');
  });
});
