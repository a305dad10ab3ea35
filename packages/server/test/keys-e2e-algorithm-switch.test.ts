import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RejectReason } from '@writ/core';
import { createVerifier, InvalidTokenError, type Verifier } from '@writ/verify';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { createApiKey } from '../src/api-keys/create-api-key.ts';
import { type RunningService, startService } from '../src/app/start-service.ts';
import { runScheduledRotation } from '../src/keys/scheduled-rotation.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { createUser } from '../src/users/create-user.ts';
import { waitUntilHealthy } from './support/processes.ts';

/**
 * Issue 14's algorithm switch, end to end: a service signing with EdDSA is restarted on the same
 * data with WRIT_SIGNING_ALGORITHMS=ES256. The ES256 key is published before it signs, sessions
 * move to it at their next refresh (no sign-in), EdDSA tokens keep verifying until they expire,
 * and the EdDSA key then retires and leaves the JWKS.
 *
 * The switch takes a lead time plus the longest token lifetime (minutes), so the test moves time:
 * the global Date (timers stay real), because the consumers (@writ/verify) read it, and the
 * service's system clock with it. Each scheduled step is the service's own runScheduledRotation,
 * called when the moved clock says it is due instead of waiting for its minute timer.
 */
const password = 'correct horse battery staple';
const emails = ['switch-1@example.com', 'switch-2@example.com', 'switch-3@example.com'];

let dataDir: string;
let env: Record<string, string>;
let service: RunningService | undefined;
let adminKey: string;
let consumer: Verifier;
let lastReason: RejectReason | undefined;

async function start(algorithms: string): Promise<RunningService> {
  const config = loadConfig({
    env: { ...env, WRIT_SIGNING_ALGORITHMS: algorithms },
    cwd: dataDir,
    warn: () => {},
  });
  return startService(config, { logger: false });
}

const running = (): RunningService => {
  if (service === undefined) throw new Error('the service is not running');
  return service;
};

interface KeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  readonly created_at: string;
  readonly activates_at: string | null;
  readonly retires_at: string | null;
}

async function keyRows(): Promise<KeyRow[]> {
  const listed = await call(running().url, 'GET', '/admin/keys', { token: adminKey });
  expect(listed.status).toBe(200);
  return listed.body.keys as KeyRow[];
}

async function published(): Promise<Array<{ kid: string; alg: string }>> {
  const jwks = await call(running().url, 'GET', '/.well-known/jwks.json');
  return jwks.body.keys as Array<{ kid: string; alg: string }>;
}

async function outcome(token: string): Promise<RejectReason | 'verified'> {
  try {
    await consumer.verify(token);
    return 'verified';
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidTokenError);
    return lastReason ?? 'internal_error';
  }
}

const atService = async (token: string) =>
  (await call(running().url, 'GET', '/auth/sessions', { token })).status;

/** Moves the global clock to `atMs` (never back). */
function moveClockTo(atMs: number): void {
  expect(atMs).toBeGreaterThan(Date.now());
  vi.setSystemTime(atMs);
}

beforeAll(async () => {
  vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
  dataDir = mkdtempSync(join(tmpdir(), 'writ-keys-switch-'));
  env = {
    WRIT_DATA_DIR: dataDir,
    // The same port across the restart: the issuer (and so every token's iss) derives from it.
    WRIT_PORT: String(await freePort()),
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_AUDIENCE: 'https://api.writ.test',
  };
  service = await start('EdDSA');
  adminKey = await createApiKey(running().context, 'admin', 'switch-admin');
  for (const email of emails) {
    const created = await createUser(running().context, { email, password });
    expect(created.ok).toBe(true);
  }
  consumer = createVerifier({
    issuer: running().context.config.issuer,
    audience: running().context.config.audience,
    jwksUri: `${running().url}/.well-known/jwks.json`,
    algorithms: ['EdDSA', 'ES256'],
    onReject: ({ reason }) => {
      lastReason = reason;
    },
  });
}, 30_000);

afterAll(async () => {
  await consumer?.close();
  await service?.close();
  vi.useRealTimers();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('switching the signing algorithm from EdDSA to ES256', () => {
  /** Each user's latest tokens: the refresh token rotates at every use. */
  const sessions = new Map<string, { access: string; refresh: string }>();
  const eddsaTokens: string[] = [];
  let eddsaKid: string;
  let es256Kid: string;
  let es256ActivatesAtMs: number;

  const refreshAll = async (): Promise<string[]> => {
    const issued: string[] = [];
    for (const [email, tokens] of sessions) {
      const refreshed = await call(running().url, 'POST', '/auth/refresh', {
        body: { refresh_token: tokens.refresh },
      });
      expect(refreshed.status, email).toBe(200);
      const access = String(refreshed.body.access_token);
      sessions.set(email, { access, refresh: String(refreshed.body.refresh_token) });
      issued.push(access);
    }
    return issued;
  };

  it('after the restart, publishes the ES256 key one lead time before it signs, and EdDSA signs meanwhile', async () => {
    for (const email of emails) {
      const tokens = await signInBody(running().url, email, password);
      sessions.set(email, { access: tokens.access_token, refresh: tokens.refresh_token });
      eddsaTokens.push(tokens.access_token);
      expect(await outcome(tokens.access_token)).toBe('verified');
    }
    eddsaKid = String(decodeProtectedHeader(eddsaTokens[0] ?? '').kid);
    expect(decodeProtectedHeader(eddsaTokens[0] ?? '').alg).toBe('EdDSA');

    await running().close();
    service = await start('ES256');
    // On the same port: a keep-alive connection to the old process may fail once first.
    await waitUntilHealthy(`${running().url}/health`);
    // The step run at start-up publishes the ES256 key.
    const deadline = performance.now() + 5000;
    while (!(await published()).some((key) => key.alg === 'ES256')) {
      expect(performance.now()).toBeLessThan(deadline);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const next = (await keyRows()).find((row) => row.alg === 'ES256');
    expect(next?.state).toBe('next');
    es256Kid = String(next?.kid);
    es256ActivatesAtMs = Date.parse(String(next?.activates_at));
    // Published one JWKS lifetime plus the unknown-kid cooldown (30 s) ahead, at least.
    const maxAgeSec = Number(
      /max-age=(\d+)/.exec(
        (await fetch(`${running().url}/.well-known/jwks.json`)).headers.get('cache-control') ?? '',
      )?.[1],
    );
    expect(es256ActivatesAtMs - Date.parse(String(next?.created_at))).toBeGreaterThanOrEqual(
      (maxAgeSec + 30) * 1000,
    );
    expect((await published()).map((key) => key.kid)).toEqual(
      expect.arrayContaining([eddsaKid, es256Kid]),
    );

    // Not signing yet: a refresh now still gets an EdDSA token, which every verifier takes.
    for (const token of await refreshAll()) {
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'EdDSA', kid: eddsaKid });
      expect(await outcome(token)).toBe('verified');
      eddsaTokens.push(token);
    }
    for (const token of eddsaTokens) expect(await atService(token)).toBe(200);
  });

  it('once the lead time has passed, every session refreshes onto ES256 without a sign-in, and EdDSA tokens still verify', async () => {
    moveClockTo(es256ActivatesAtMs + 1000);
    expect(await runScheduledRotation(running().context)).toBe(true);
    const rows = await keyRows();
    expect(rows.find((row) => row.kid === es256Kid)?.state).toBe('active');
    const eddsaRow = rows.find((row) => row.kid === eddsaKid);
    expect(eddsaRow?.state).toBe('retiring');
    // Retiring until every token it signed has expired: the longest lifetime (15 min) + 30 s.
    expect(Date.parse(String(eddsaRow?.retires_at))).toBeGreaterThanOrEqual(Date.now() + 900_000);

    for (const token of await refreshAll()) {
      expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'ES256', kid: es256Kid });
      expect(await outcome(token)).toBe('verified');
      expect(await atService(token)).toBe(200);
    }
    // Tokens EdDSA signed before the switch are still good, at consumers and at the service.
    for (const token of eddsaTokens) {
      expect(await outcome(token)).toBe('verified');
      expect(await atService(token)).toBe(200);
    }
  });

  it('EdDSA tokens verify until they expire; then the EdDSA key retires and leaves the JWKS', async () => {
    const lastExpirySec = Math.max(...eddsaTokens.map((token) => Number(decodeJwt(token).exp)));
    moveClockTo(lastExpirySec * 1000 - 5000);
    for (const token of eddsaTokens.filter((t) => Number(decodeJwt(t).exp) === lastExpirySec))
      expect(await outcome(token)).toBe('verified');
    expect(await runScheduledRotation(running().context)).toBe(true);
    expect((await published()).map((key) => key.kid)).toContain(eddsaKid);

    const retiresAtMs = Date.parse(
      String((await keyRows()).find((row) => row.kid === eddsaKid)?.retires_at),
    );
    moveClockTo(retiresAtMs + 1000);
    for (const token of eddsaTokens) expect(await outcome(token)).toBe('expired');
    expect(await runScheduledRotation(running().context)).toBe(true);
    expect((await keyRows()).find((row) => row.kid === eddsaKid)?.state).toBe('retired');
    const after = await published();
    expect(after.map((key) => key.kid)).not.toContain(eddsaKid);
    expect(after.every((key) => key.alg === 'ES256')).toBe(true);
    // The service signs and verifies on with ES256 alone; nobody signed in again.
    for (const token of await refreshAll()) {
      expect(decodeProtectedHeader(token).alg).toBe('ES256');
      expect(await outcome(token)).toBe('verified');
      expect(await atService(token)).toBe(200);
    }
  });
});
