import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { createApiKey } from '../src/api-keys/create-api-key.ts';
import { type RunningService, startService } from '../src/app/start-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';

/** The keys admin API over HTTP: GET /admin/keys, POST /admin/keys/rotate, GET /admin/keys/public. */
let service: TestService;
let adminKey: string;
let consumerKey: string;
const password = 'correct horse battery staple';

beforeAll(async () => {
  service = await startTestService({ WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256' });
  adminKey = await service.addKey('admin');
  consumerKey = await service.addKey('consumer');
  await service.addUser('keys-admin@example.com', password);
});
afterAll(() => service.destroy());

interface KeyRow {
  readonly kid: string;
  readonly alg: string;
  readonly state: string;
  readonly custody: string;
  readonly created_at: string;
  readonly activates_at: string | null;
  readonly activated_at: string | null;
  readonly retires_at: string | null;
  readonly retired_at: string | null;
}

const admin = (method: string, path: string, body?: unknown) =>
  call(service.url, method, path, { token: adminKey, ...(body === undefined ? {} : { body }) });

async function keyRows(): Promise<KeyRow[]> {
  const listed = await admin('GET', '/admin/keys');
  expect(listed.status).toBe(200);
  return listed.body.keys as KeyRow[];
}

async function jwksKids(): Promise<string[]> {
  const jwks = await call(service.url, 'GET', '/.well-known/jwks.json');
  return (jwks.body.keys as Array<{ kid: string }>).map((key) => key.kid);
}

const isoTime = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const routes = [
  ['GET', '/admin/keys'],
  ['POST', '/admin/keys/rotate'],
  ['GET', '/admin/keys/public'],
] as const;

describe('the keys admin API: who may call it', () => {
  it('refuses every route without an admin key, with a consumer key, and with a wrong key', async () => {
    const before = await keyRows();
    for (const [method, path] of routes) {
      for (const token of [undefined, consumerKey, `wak_${'A'.repeat(43)}`]) {
        const answer = await call(service.url, method, path, {
          ...(token === undefined ? {} : { token }),
          ...(method === 'POST' ? { body: { emergency: true } } : {}),
        });
        expect(answer.status, `${method} ${path}`).toBe(401);
        expect(answer.body).toEqual({ error: 'invalid_token' });
        expect(answer.headers.get('www-authenticate')).toBe('Bearer error="invalid_token"');
      }
    }
    // Refused before any work: an unauthenticated emergency rotation changed nothing.
    expect(await keyRows()).toEqual(before);
  });
});

describe('GET /admin/keys and GET /admin/keys/public', () => {
  it('lists one active key per configured algorithm, with ISO times, and the public set matches the JWKS', async () => {
    const rows = await keyRows();
    const active = rows.filter((row) => row.state === 'active');
    expect(active.map((row) => row.alg).sort()).toEqual(['ES256', 'EdDSA']);
    for (const row of active) {
      expect(row.custody).toBe('sealed');
      expect(row.created_at).toMatch(isoTime);
      expect(row.activated_at).toMatch(isoTime);
      expect(row.retired_at).toBeNull();
      expect(Object.keys(row).sort()).toEqual(
        [
          'activated_at',
          'activates_at',
          'alg',
          'created_at',
          'custody',
          'kid',
          'retired_at',
          'retires_at',
          'state',
        ].sort(),
      );
    }
    expect(rows.every((row) => !('public_jwk' in row) && !('custody_ref' in row))).toBe(true);

    const exported = await admin('GET', '/admin/keys/public');
    expect(exported.status).toBe(200);
    expect(exported.headers.get('cache-control')).toBe('no-store');
    const keys = exported.body.keys as Array<Record<string, unknown>>;
    expect(keys.map((key) => key.kid).sort()).toEqual((await jwksKids()).sort());
    for (const key of keys) {
      // Public halves only: no private member of any key type.
      for (const member of ['d', 'p', 'q', 'dp', 'dq', 'qi', 'priv', 'seed'])
        expect(key).not.toHaveProperty(member);
      expect(key.use).toBe('sig');
    }
  });
});

describe('POST /admin/keys/rotate: refusals', () => {
  const refusals: Array<[string, unknown, number, string]> = [
    ['an unknown member', { emergency: true, force: true }, 400, 'invalid_rotation_request'],
    ['emergency not a boolean', { emergency: 'yes' }, 400, 'invalid_rotation_request'],
    ['kid not a string', { emergency: true, kid: 42 }, 400, 'invalid_rotation_request'],
    ['an empty kid', { emergency: true, kid: '' }, 400, 'invalid_rotation_request'],
    ['a huge kid', { emergency: true, kid: 'k'.repeat(129) }, 400, 'invalid_rotation_request'],
    ['algorithm not a string', { algorithm: ['ES256'] }, 400, 'invalid_rotation_request'],
    ['an array body', [], 400, 'invalid_rotation_request'],
    ['a string body', 'rotate', 400, 'invalid_rotation_request'],
    ['a null body', null, 400, 'invalid_rotation_request'],
    ['kid without emergency', { kid: 'abc' }, 400, 'kid_without_emergency'],
    ['kid with emergency false', { emergency: false, kid: 'abc' }, 400, 'kid_without_emergency'],
    [
      'algorithm with emergency',
      { emergency: true, algorithm: 'ES256' },
      400,
      'algorithm_with_emergency',
    ],
    ['an algorithm not configured', { algorithm: 'RS256' }, 400, 'algorithm_not_configured'],
    ['an algorithm Writ does not know', { algorithm: 'HS256' }, 400, 'algorithm_not_configured'],
    ['a lowercase algorithm', { algorithm: 'es256' }, 400, 'algorithm_not_configured'],
    [
      'emergency with an unknown kid',
      { emergency: true, kid: 'A'.repeat(43) },
      404,
      'key_not_found',
    ],
  ];

  it.each(refusals)('refuses %s, changing nothing', async (_name, body, status, error) => {
    const before = await keyRows();
    const answer = await admin('POST', '/admin/keys/rotate', body);
    expect(answer.status).toBe(status);
    expect(answer.body.error).toBe(error);
    expect(typeof answer.body.error_description).toBe('string');
    expect(answer.headers.get('cache-control')).toBe('no-store');
    expect(await keyRows()).toEqual(before);
  });

  it('refuses a body that is not JSON with the uniform invalid_request', async () => {
    const answer = await fetch(`${service.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'application/json' },
      body: '{"emergency":',
    });
    expect(answer.status).toBe(400);
    expect(await answer.json()).toEqual({ error: 'invalid_request' });
  });
});

describe('POST /admin/keys/rotate: rotations', () => {
  it('a scheduled-style rotation publishes a next key of the asked algorithm and leaves the signer alone', async () => {
    const activeBefore = (await keyRows()).filter((row) => row.state === 'active');
    const answer = await admin('POST', '/admin/keys/rotate', { algorithm: 'ES256' });
    expect(answer.status).toBe(200);
    expect(answer.body.rotation).toBe('scheduled');
    const nextKid = String(answer.body.next_kid);
    expect(String(answer.body.activates_at)).toMatch(isoTime);
    expect(Date.parse(String(answer.body.activates_at))).toBeGreaterThan(service.clock.nowMs());

    const rows = await keyRows();
    const next = rows.find((row) => row.kid === nextKid);
    expect(next).toMatchObject({
      alg: 'ES256',
      state: 'next',
      activates_at: answer.body.activates_at,
    });
    expect(rows.filter((row) => row.state === 'active')).toEqual(activeBefore);
    // Published before it signs.
    expect(await jwksKids()).toContain(nextKid);
  });

  it('no body at all rotates the default (first) algorithm', async () => {
    const answer = await fetch(`${service.url}/admin/keys/rotate`, {
      method: 'POST',
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(answer.status).toBe(200);
    const body = (await answer.json()) as { rotation: string; next_kid: string };
    expect(body.rotation).toBe('scheduled');
    expect((await keyRows()).find((row) => row.kid === body.next_kid)?.alg).toBe('EdDSA');
  });

  it('an emergency rotation of one kid withdraws it at once, and the session refreshes onto the fresh key', async () => {
    const tokens = await signInBody(service.url, 'keys-admin@example.com', password);
    const leakedKid = String(decodeProtectedHeader(tokens.access_token).kid);
    expect(
      (await call(service.url, 'GET', '/auth/sessions', { token: tokens.access_token })).status,
    ).toBe(200);

    const answer = await admin('POST', '/admin/keys/rotate', { emergency: true, kid: leakedKid });
    expect(answer.status).toBe(200);
    expect(answer.body.rotation).toBe('emergency');
    expect(answer.body.withdrawn_kids).toEqual([leakedKid]);
    const activeKids = answer.body.active_kids as string[];
    expect(activeKids).not.toContain(leakedKid);

    const rows = await keyRows();
    expect(rows.find((row) => row.kid === leakedKid)?.state).toBe('retired');
    expect(rows.find((row) => row.kid === leakedKid)?.retired_at).toMatch(isoTime);
    expect(await jwksKids()).not.toContain(leakedKid);
    const exported = await admin('GET', '/admin/keys/public');
    expect((exported.body.keys as Array<{ kid: string }>).map((key) => key.kid)).not.toContain(
      leakedKid,
    );

    // The service's own verifier refuses the leaked key's token; the session lives on.
    expect(
      (await call(service.url, 'GET', '/auth/sessions', { token: tokens.access_token })).status,
    ).toBe(401);
    const refreshed = await call(service.url, 'POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const freshToken = String(refreshed.body.access_token);
    expect(activeKids).toContain(decodeProtectedHeader(freshToken).kid);
    expect((await call(service.url, 'GET', '/auth/sessions', { token: freshToken })).status).toBe(
      200,
    );

    // A withdrawn key cannot be withdrawn again: it is no longer published.
    const again = await admin('POST', '/admin/keys/rotate', { emergency: true, kid: leakedKid });
    expect(again.status).toBe(404);
    expect(again.body.error).toBe('key_not_found');
  });

  it('an emergency rotation without a kid replaces every active key', async () => {
    const activeBefore = (await keyRows()).filter((row) => row.state === 'active');
    const answer = await admin('POST', '/admin/keys/rotate', { emergency: true });
    expect(answer.status).toBe(200);
    expect((answer.body.withdrawn_kids as string[]).sort()).toEqual(
      activeBefore.map((row) => row.kid).sort(),
    );
    const rows = await keyRows();
    const activeAfter = rows.filter((row) => row.state === 'active');
    expect(activeAfter.map((row) => row.alg).sort()).toEqual(['ES256', 'EdDSA']);
    expect(activeAfter.map((row) => row.kid).sort()).toEqual(
      (answer.body.active_kids as string[]).sort(),
    );
    const published = await jwksKids();
    for (const row of activeBefore) expect(published).not.toContain(row.kid);
  });
});

describe('the keys admin API in the logs', () => {
  const logLines: string[] = [];
  let logged: RunningService;
  let loggedDir: string;

  beforeAll(async () => {
    loggedDir = mkdtempSync(join(tmpdir(), 'writ-keys-admin-logs-'));
    const config = loadConfig({
      env: {
        WRIT_DATA_DIR: loggedDir,
        WRIT_PORT: String(await freePort()),
        WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
        WRIT_AUDIENCE: 'https://api.writ.test',
      },
      cwd: loggedDir,
      warn: () => {},
    });
    logged = await startService(config, {
      logger: { level: 'trace', stream: { write: (line) => logLines.push(line) } },
    });
  });
  afterAll(async () => {
    await logged?.close();
    rmSync(loggedDir, { recursive: true, force: true });
  });

  it('logs each rotation with its kids (as the runbook says) and never a key or the admin key', async () => {
    const key = await createApiKey(logged.context, 'admin', 'logs-admin');
    const [stored] = await logged.context.db.signingKeys.list(['active']);
    const activeKid = String(stored?.kid);
    const scheduled = await call(logged.url, 'POST', '/admin/keys/rotate', {
      token: key,
      body: {},
    });
    expect(scheduled.status).toBe(200);
    const emergency = await call(logged.url, 'POST', '/admin/keys/rotate', {
      token: key,
      body: { emergency: true },
    });
    expect(emergency.status).toBe(200);

    const entries = logLines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 30,
        msg: 'key rotation started: next key published',
        nextKid: scheduled.body.next_kid,
      }),
    );
    expect(entries).toContainEqual(
      expect.objectContaining({
        level: 40,
        msg: 'emergency key rotation: keys withdrawn and revoked',
        withdrawnKids: [activeKid],
        activeKids: emergency.body.active_kids,
      }),
    );
    const all = logLines.join('\n');
    expect(all).not.toContain(key);
    expect(all).not.toContain(String(stored?.sealedPrivateJwk).slice(0, 32));
    expect(all).not.toMatch(/"d":"/);
  });
});
