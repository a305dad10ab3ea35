import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { openServiceDatabase } from '../src/app/open-service-database.ts';
import { newRevocations } from '../src/revocation/revocation-policy.ts';
import {
  type RunningProcess,
  runCommand,
  startProcess,
  waitUntilHealthy,
} from './support/processes.ts';

/**
 * The revocation path end to end, across real processes: the token service (`writ start`) and
 * the example resource server with its revocation mirror.
 */
const cli = 'packages/server/src/cli/main.ts';
const password = 'correct horse battery staple';
const audience = 'https://api.writ.test';
const maxStalenessSec = 3;

let dataDir: string;
let serviceEnv: Record<string, string>;
let serviceUrl: string;
let apiUrl: string;
let service: RunningProcess;
let api: RunningProcess;

async function startWrit(): Promise<RunningProcess> {
  const started = startProcess(cli, ['start'], serviceEnv);
  await waitUntilHealthy(`${serviceUrl}/health`);
  return started;
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'writ-e2e-'));
  const servicePort = await freePort();
  serviceUrl = `http://127.0.0.1:${servicePort}`;
  serviceEnv = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: String(servicePort),
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_AUDIENCE: audience,
    WRIT_REVOCATION_HEARTBEAT: '1',
    WRIT_LOG_LEVEL: 'warn',
  };
  const user = await runCommand(
    cli,
    ['user', 'add', 'e2e@example.com'],
    serviceEnv,
    `${password}\n`,
  );
  expect(user.stdout).toMatch(/created user usr_/);
  const consumer = await runCommand(cli, ['consumer', 'add', 'example-api'], serviceEnv);
  expect(consumer.code).toBe(0);
  const consumerKey = consumer.stdout.trim();
  expect(consumerKey).toMatch(/^wck_/);

  service = await startWrit();
  const apiPort = await freePort();
  apiUrl = `http://127.0.0.1:${apiPort}`;
  api = startProcess('examples/resource-server/src/main.ts', [], {
    WRIT_ISSUER: serviceUrl,
    WRIT_AUDIENCE: audience,
    WRIT_JWKS_URI: `${serviceUrl}/.well-known/jwks.json`,
    WRIT_REVOCATIONS_URI: serviceUrl,
    WRIT_CONSUMER_KEY: consumerKey,
    WRIT_REVOCATIONS_MAX_STALENESS: String(maxStalenessSec),
    PORT: String(apiPort),
    LOG_LEVEL: 'warn',
  });
  await waitUntilHealthy(`${apiUrl}/health`);
}, 60_000);

afterAll(async () => {
  await api?.stop();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

const meStatus = async (token: string) =>
  (await fetch(`${apiUrl}/me`, { headers: { authorization: `Bearer ${token}` } })).status;

/** Milliseconds from now until the resource server refuses `token` (polling every 5 ms). */
async function msUntilRefused(token: string, timeoutMs = 3000): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < timeoutMs) {
    if ((await meStatus(token)) === 401) return performance.now() - start;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error('the resource server kept accepting a revoked token');
}

/**
 * Milliseconds from now until the resource server refuses `revoked` and accepts `valid` at the
 * same time (a fresh mirror holding the entry), polling every 20 ms for up to 15 s.
 */
async function msUntilCaughtUp(revoked: string, valid: string): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < 15_000) {
    if ((await meStatus(revoked)) === 401 && (await meStatus(valid)) === 200) {
      return performance.now() - start;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the mirror never held the entry while accepting valid tokens');
}

describe('revocation reaches the resource server', () => {
  it("refuses a token within a second of sign-out, and only that session's", async () => {
    const phone = await signInBody(serviceUrl, 'e2e@example.com', password);
    const laptop = await signInBody(serviceUrl, 'e2e@example.com', password);
    expect(await meStatus(phone.access_token)).toBe(200);
    expect(await meStatus(laptop.access_token)).toBe(200);
    expect(
      (await call(serviceUrl, 'POST', '/auth/sign-out', { token: phone.access_token })).status,
    ).toBe(204);
    const delay = await msUntilRefused(phone.access_token);
    expect(delay).toBeLessThan(1000);
    expect(await meStatus(laptop.access_token)).toBe(200);
    console.info(`sign-out → refused at the resource server: ${delay.toFixed(1)} ms`);
  });

  it("refuses a deleted session's token within a second", async () => {
    const a = await signInBody(serviceUrl, 'e2e@example.com', password);
    const b = await signInBody(serviceUrl, 'e2e@example.com', password);
    expect(await meStatus(b.access_token)).toBe(200);
    const sid = String(decodeJwt(b.access_token).sid);
    expect(
      (await call(serviceUrl, 'DELETE', `/auth/sessions/${sid}`, { token: a.access_token })).status,
    ).toBe(204);
    expect(await msUntilRefused(b.access_token)).toBeLessThan(1000);
    expect(await meStatus(a.access_token)).toBe(200);
  });

  it('refuses every token of the user within a second of sign-out-everywhere', async () => {
    const sessions = await Promise.all(
      [1, 2, 3].map(() => signInBody(serviceUrl, 'e2e@example.com', password)),
    );
    for (const s of sessions) expect(await meStatus(s.access_token)).toBe(200);
    const first = sessions[0];
    if (first === undefined) throw new Error('no session');
    expect(
      (await call(serviceUrl, 'POST', '/auth/sign-out-everywhere', { token: first.access_token }))
        .status,
    ).toBe(204);
    for (const s of sessions) expect(await msUntilRefused(s.access_token)).toBeLessThan(1000);
    // A sign-in right after it works at once (the cut-off revokes iat before that second).
    const fresh = await signInBody(serviceUrl, 'e2e@example.com', password);
    expect(await meStatus(fresh.access_token)).toBe(200);
  });

  it('refuses a whole token family within a second of refresh-token reuse', async () => {
    const first = await signInBody(serviceUrl, 'e2e@example.com', password);
    const rotated = await call(serviceUrl, 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(await meStatus(String(rotated.body.access_token))).toBe(200);
    await call(serviceUrl, 'POST', '/auth/refresh', {
      body: { refresh_token: first.refresh_token },
    });
    expect(await msUntilRefused(String(rotated.body.access_token))).toBeLessThan(1000);
  });
});

describe('the mirror across failures', () => {
  it('loses no entry across a killed service, including one written while it was down', async () => {
    const survivor = await signInBody(serviceUrl, 'e2e@example.com', password);
    const writtenWhileDown = await signInBody(serviceUrl, 'e2e@example.com', password);
    const signedOutAfterRestart = await signInBody(serviceUrl, 'e2e@example.com', password);
    for (const s of [survivor, writtenWhileDown, signedOutAfterRestart])
      expect(await meStatus(s.access_token)).toBe(200);

    await service.kill();
    // Another writer (an admin tool, a second instance) appends while this one is down.
    const database = await openServiceDatabase(`sqlite:${join(dataDir, 'writ.db')}`);
    const nowSec = Math.floor(Date.now() / 1000);
    await database.db.transaction((tx) =>
      tx.revocations.append(
        newRevocations(
          [{ type: 'sid', value: String(decodeJwt(writtenWhileDown.access_token).sid) }],
          'session_deleted',
          nowSec,
        ),
      ),
    );
    await database.close();
    service = await startWrit();

    // Until it reconnects (on its backoff, up to 5 s between attempts) the mirror answers from
    // what it had, then refuses everything once past its bound: a refusal alone proves nothing.
    // It has caught up when the entry written while the service was down refuses its token
    // while a token no entry names is accepted.
    expect(
      await msUntilCaughtUp(writtenWhileDown.access_token, survivor.access_token),
    ).toBeLessThan(15_000);
    await call(serviceUrl, 'POST', '/auth/sign-out', { token: signedOutAfterRestart.access_token });
    expect(await msUntilRefused(signedOutAfterRestart.access_token)).toBeLessThan(1000);
    expect(await meStatus(survivor.access_token)).toBe(200);
  });

  it('fails closed once the mirror has been out of touch longer than its bound, and recovers', async () => {
    const tokens = await signInBody(serviceUrl, 'e2e@example.com', password);
    expect(await meStatus(tokens.access_token)).toBe(200);
    await service.kill();
    const downAt = performance.now();
    // Still within the bound: valid tokens keep working while the service is briefly away.
    expect(await meStatus(tokens.access_token)).toBe(200);
    const refusedAfter = await msUntilRefused(tokens.access_token, (maxStalenessSec + 3) * 1000);
    expect(performance.now() - downAt).toBeGreaterThanOrEqual((maxStalenessSec - 1.5) * 1000);
    expect(refusedAfter).toBeLessThan((maxStalenessSec + 2) * 1000);
    expect((await fetch(`${apiUrl}/health`)).status).toBe(503);

    service = await startWrit();
    const deadline = Date.now() + 8000;
    while ((await meStatus(tokens.access_token)) !== 200) {
      if (Date.now() > deadline) throw new Error('the mirror did not recover');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await fetch(`${apiUrl}/health`)).status).toBe(200);
  });
});
