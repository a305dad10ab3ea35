import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { call } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { createApiKey } from '../src/api-keys/create-api-key.ts';
import { type RunningService, startService } from '../src/index.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';

/**
 * The clients module's secrets — client secrets (new and rotated), initial access tokens, client
 * assertions, and the wrong secrets an attacker tries — never reach the logs, even at trace
 * level, whole or as any 16-character piece.
 */
const leakLength = 16;
const logLines: string[] = [];
const secrets: string[] = [];
let dataDir: string;
let service: RunningService;
let adminKey: string;

const remember = (value: unknown): string => {
  if (typeof value !== 'string' || value.length < leakLength) throw new Error('not a secret');
  secrets.push(value);
  return value;
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'writ-clients-logs-'));
  const env = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: String(await freePort()),
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_DYNAMIC_CLIENT_REGISTRATION: 'true',
  };
  service = await startService(loadConfig({ env, cwd: dataDir, warn: () => {} }), {
    logger: { level: 'trace', stream: { write: (line) => logLines.push(line) } },
  });
  adminKey = remember(await createApiKey(service.context, 'admin', 'ops'));
});
afterAll(async () => {
  await service.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const token = (params: Record<string, string>, headers: Record<string, string> = {}) =>
  fetch(`${service.url}/oauth/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
  });

it('logs no client secret, initial access token or client assertion', async () => {
  const machine = { client_name: 'm', grant_types: ['client_credentials'] };
  const basic = await call(service.url, 'POST', '/admin/clients', {
    token: adminKey,
    body: machine,
  });
  const basicId = String(basic.body.client_id);
  const basicSecret = remember(basic.body.client_secret);
  const header = (secret: string) => ({
    authorization: `Basic ${Buffer.from(`${basicId}:${secret}`).toString('base64')}`,
  });
  expect((await token({}, header(basicSecret))).status).toBe(200);
  expect(
    (await token({}, header(remember(`wcs_${randomBytes(32).toString('base64url')}`)))).status,
  ).toBe(401);
  const rotated = await call(service.url, 'POST', `/admin/clients/${basicId}/secret`, {
    token: adminKey,
  });
  expect((await token({}, header(remember(rotated.body.client_secret)))).status).toBe(200);

  const post = await call(service.url, 'POST', '/admin/clients', {
    token: adminKey,
    body: { ...machine, token_endpoint_auth_method: 'client_secret_post' },
  });
  const postSecret = remember(post.body.client_secret);
  expect(
    (await token({ client_id: String(post.body.client_id), client_secret: postSecret })).status,
  ).toBe(200);

  const pair = await generateKeyPair('ES256', { extractable: true });
  const jwt = await call(service.url, 'POST', '/admin/clients', {
    token: adminKey,
    body: {
      ...machine,
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [await exportJWK(pair.publicKey)] },
    },
  });
  const jwtId = String(jwt.body.client_id);
  const assertion = remember(
    await new SignJWT({ jti: randomBytes(16).toString('base64url') })
      .setProtectedHeader({ alg: 'ES256' })
      .setIssuer(jwtId)
      .setSubject(jwtId)
      .setAudience(service.context.config.issuer)
      .setExpirationTime(Math.floor(service.context.clock.nowMs() / 1000) + 60)
      .sign(pair.privateKey),
  );
  const params = {
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  };
  expect((await token(params)).status).toBe(200);
  expect((await token(params)).status).toBe(401);

  const issued = await call(service.url, 'POST', '/admin/registration-tokens', {
    token: adminKey,
    body: { name: 'partner' },
  });
  const registrationToken = remember(issued.body.registration_token);
  const registered = await call(service.url, 'POST', '/oauth/register', {
    token: registrationToken,
    body: { client_name: 'p', redirect_uris: ['https://p.example/cb'] },
  });
  expect(registered.status).toBe(201);
  remember(registered.body.client_secret);
  expect(
    (await call(service.url, 'POST', '/oauth/register', { token: registrationToken, body: {} }))
      .status,
  ).toBe(401);

  const logged = logLines.join('\n');
  // The logger was on: the requests above are in it (a silent logger would pass vacuously).
  expect(logged).toContain('/oauth/token');
  expect(logged).toContain('/oauth/register');
  for (const secret of secrets) {
    for (let start = 0; start + leakLength <= secret.length; start++) {
      const piece = secret.slice(start, start + leakLength);
      if (logged.includes(piece))
        throw new Error(`a ${leakLength}-character piece of a secret was logged`);
    }
  }
});
