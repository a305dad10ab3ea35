import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { rotateKeysNow } from '../src/keys/emergency-rotation.ts';
import { createSignerProcessCustody } from '../src/keys/signer-process/signer-custody.ts';
import { SignerRefusedError } from '../src/keys/signer-process/signer-errors.ts';
import { eventually } from './support/interop-rp.ts';
import { type RunningProcess, startSignerProcess } from './support/processes.ts';

/**
 * The service with WRIT_KEY_CUSTODY=signer-process against a real `writ signer` in its own
 * process: tokens verify against the service's JWKS, the service's database holds no private
 * key material, a retired key cannot sign, and a signer that goes away gives 503 quickly and
 * is reconnected to when it is back.
 */
const dir = mkdtempSync(join(tmpdir(), 'writ-signer-e2e-'));
chmodSync(dir, 0o700);
const socketPath = join(dir, 'run', 'signer.sock');
const secretPath = join(dir, 'signer.secret');
const secret = randomBytes(32);
writeFileSync(secretPath, secret, { mode: 0o600 });
const signerEnv = {
  WRIT_SIGNER_SOCKET: socketPath,
  WRIT_SIGNER_SECRET_FILE: secretPath,
  WRIT_SIGNER_MASTER_KEY: randomBytes(32).toString('base64url'),
  WRIT_SIGNER_DATA_DIR: join(dir, 'signer-store'),
};
const email = 'signer@example.com';
const password = 'correct horse battery staple';

let signer: RunningProcess;
let service: TestService;
/** Every signer process's output, across restarts. */
const signerLogs: (() => string)[] = [];
/** Every access token the tests were given: their signing inputs must never be logged. */
const issued: string[] = [];

async function startSigner(): Promise<RunningProcess> {
  const started = await startSignerProcess(signerEnv);
  signerLogs.push(started.output);
  return started;
}

beforeAll(async () => {
  signer = await startSigner();
  service = await startTestService({
    WRIT_KEY_CUSTODY: 'signer-process',
    WRIT_SIGNER_SOCKET: socketPath,
    WRIT_SIGNER_SECRET_FILE: secretPath,
    WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256',
  });
  await service.addUser(email, password);
  // One account per load worker: concurrent sign-ins to one account are throttled (429).
  for (const worker of [0, 1]) await service.addUser(`load-${worker}@example.com`, password);
}, 30_000);
afterAll(async () => {
  await service?.destroy();
  await signer?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const verifyWithJwks = (token: string) =>
  jwtVerify(token, createRemoteJWKSet(new URL(`${service.url}/.well-known/jwks.json`)), {
    issuer: service.url,
  });

/** Every text cell of every table in the service's database. */
function databaseCells(): { table: string; column: string; value: string }[] {
  const db = new DatabaseSync(join(service.dataDir, 'writ.db'), { readOnly: true });
  try {
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table'")
      .all()
      .map((row) => String(row.name));
    return tables.flatMap((table) =>
      db
        .prepare(`SELECT * FROM "${table}"`)
        .all()
        .flatMap((row) =>
          Object.entries(row)
            .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
            .map(([column, value]) => ({ table, column, value })),
        ),
    );
  } finally {
    db.close();
  }
}

describe('the service with its keys in the signer process', () => {
  it('signs tokens that jose verifies against the service JWKS, with keys the signer made', async () => {
    const tokens = await signInBody(service.url, email, password);
    const { protectedHeader, payload } = await verifyWithJwks(tokens.access_token);
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload.aud).toBe('https://api.writ.test');
    const custody = createSignerProcessCustody({ socketPath, secret });
    try {
      const held = await custody.listKeys();
      expect(
        held
          .filter((key) => key.state === 'active')
          .map((key) => key.alg)
          .sort(),
      ).toEqual(['ES256', 'EdDSA']);
      expect(held.map((key) => key.kid)).toContain(protectedHeader.kid);
    } finally {
      await custody.close();
    }
  });

  it('keeps no private key material in the service database', async () => {
    const cells = databaseCells();
    const keyRows = cells.filter((cell) => cell.table === 'signing_keys');
    expect(keyRows.length).toBeGreaterThan(0);
    for (const { value } of cells) {
      // No JWK private member (EC/OKP/RSA "d", RSA primes, ML-DSA "priv"), anywhere.
      expect(value).not.toMatch(/"(d|p|q|dp|dq|qi|priv)"\s*:/);
    }
    for (const { column, value } of keyRows) {
      // Nor a sealed blob (v1.<iv>.<ciphertext>.<tag>) standing in for one.
      expect(value, column).not.toMatch(/^v1\.[\w-]+\.[\w-]+\.[\w-]+$/);
    }
    expect(
      keyRows
        .filter((cell) => cell.column === 'custody')
        .every((cell) => cell.value === 'signer-process'),
    ).toBe(true);
  });

  it('a key withdrawn by emergency rotation can no longer sign, even when asked directly', async () => {
    const before = await signInBody(service.url, email, password);
    const oldKid = decodeProtectedHeader(before.access_token).kid;
    const oldHandles = (await service.context.db.signingKeys.list(['active'])).map((key) => ({
      kid: key.kid,
      alg: key.alg,
      custodyRef: key.sealedPrivateJwk,
    }));
    const { withdrawnKids } = await rotateKeysNow(service.context, { emergency: true });
    expect(withdrawnKids).toContain(oldKid);
    const after = await signInBody(service.url, email, password);
    expect(decodeProtectedHeader(after.access_token).kid).not.toBe(oldKid);
    await verifyWithJwks(after.access_token);
    // Someone holding the secret (a compromised service) asks the signer for the old key anyway.
    const custody = createSignerProcessCustody({ socketPath, secret });
    try {
      for (const reference of oldHandles) {
        const handle = await custody.open(reference as Parameters<typeof custody.open>[0]);
        const header = Buffer.from(
          JSON.stringify({ alg: reference.alg, typ: 'at+jwt', kid: reference.kid }),
        ).toString('base64url');
        const refused = await handle
          .sign(new TextEncoder().encode(`${header}.e30`))
          .catch((error: unknown) => error);
        expect(refused).toBeInstanceOf(SignerRefusedError);
        expect(refused).toMatchObject({ reason: 'key_not_active' });
      }
      const states = new Map((await custody.listKeys()).map((key) => [key.kid, key.state]));
      for (const reference of oldHandles) expect(states.get(reference.kid)).toBe('retired');
    } finally {
      await custody.close();
    }
  });

  it('never counts a right password as a failure while the signer is down: 503 every time, never throttled, signed in once it is back', async () => {
    const patient = 'patient@example.com';
    await service.addUser(patient, password);
    await signer.stop();
    try {
      const statuses: number[] = [];
      // More attempts than the 5 failures an account and address get before being held back.
      for (let attempt = 0; attempt < 8; attempt += 1) {
        const response = await call(service.url, 'POST', '/auth/sign-in', {
          body: { email: patient, password },
        });
        statuses.push(response.status);
      }
      expect(statuses).toEqual(Array.from({ length: 8 }, () => 503));
    } finally {
      signer = await startSigner();
    }
    const deadline = Date.now() + 10_000;
    let status = 0;
    while (status !== 200 && Date.now() < deadline) {
      status = (
        await call(service.url, 'POST', '/auth/sign-in', { body: { email: patient, password } })
      ).status;
      if (status === 503) await new Promise((resolve) => setTimeout(resolve, 50));
      else break;
    }
    expect(status).toBe(200);
  }, 30_000);

  it('answers 503 temporarily_unavailable quickly while the signer is down, and signs again once it is back', async () => {
    const outcomes: number[] = [];
    let running = true;
    const load = Promise.all(
      Array.from({ length: 2 }, async (_, worker) => {
        while (running) {
          const response = await call(service.url, 'POST', '/auth/sign-in', {
            body: { email: `load-${worker}@example.com`, password },
          });
          outcomes.push(response.status);
          if (response.status === 503) {
            expect(response.body).toEqual({ error: 'temporarily_unavailable' });
            expect(response.headers.get('retry-after')).toBe('1');
          }
        }
      }),
    );
    let whileDown = 0;
    try {
      // Deadlines, so a load that stopped early fails here instead of waiting out the test.
      await eventually(
        () => (outcomes.filter((status) => status === 200).length >= 3 ? true : undefined),
        10_000,
      );
      await signer.stop();
      const started = performance.now();
      const down = await call(service.url, 'POST', '/auth/sign-in', { body: { email, password } });
      // Bounded by the custody's call timeout (1 s), not a hang; 2 s more for a loaded machine
      // (the sign-in's password check runs beside two load workers).
      expect(down.status).toBe(503);
      expect(performance.now() - started).toBeLessThan(1000 + 2000);
      whileDown = outcomes.length;
      signer = await startSigner();
      await eventually(() => (outcomes.slice(whileDown).includes(200) ? true : undefined), 10_000);
    } finally {
      running = false;
      await load;
    }
    expect(outcomes.slice(whileDown)).toContain(200);
    // Nothing but signed tokens and the temporary refusal: no 500s, no hangs.
    expect(new Set(outcomes)).toEqual(new Set([200, 503]));
    const tokens = await signInBody(service.url, email, password);
    await verifyWithJwks(tokens.access_token);
    issued.push(tokens.access_token);
  }, 30_000);

  it('logs no secret, master key, signing input or key material in the signer', async () => {
    issued.push((await signInBody(service.url, email, password)).access_token);
    const log = signerLogs.map((output) => output()).join('\n');
    expect(log).toContain('listening');
    expect(log).toMatch(/key created: EdDSA /);
    const forbidden = [
      secret.toString('base64url'),
      secret.toString('base64'),
      secret.toString('hex'),
      signerEnv.WRIT_SIGNER_MASTER_KEY,
      ...issued.flatMap((token) => token.split('.')),
    ];
    for (const value of forbidden) expect(log).not.toContain(value);
    // No JWK private member either.
    expect(log).not.toMatch(/"(d|priv)"\s*:/);
  });
});
