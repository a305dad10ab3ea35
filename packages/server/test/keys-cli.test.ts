import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RejectReason } from '@writ/core';
import { createVerifier, type Verifier } from '@writ/verify';
import { decodeProtectedHeader } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { runCli } from '../src/cli/main.ts';
import { recordingTerminal } from './support/cli-terminal.ts';
import {
  type RunningProcess,
  runCommand,
  startProcess,
  waitUntilHealthy,
} from './support/processes.ts';

/**
 * `writ keys …` run as operators run it (a separate process on the service's database), against
 * a service running in its own process, which must follow every change within about a second.
 */
const cli = 'packages/server/src/cli/main.ts';
/**
 * The bounds below are the mechanism's own delay plus 2 s a loaded machine (CI: ~100 files on 2
 * cores) may add: a ring polls the store every 500 ms, the service's log reader every 250 ms.
 * Never following at all still fails, at the wait's deadline. The printed times are the measure.
 */
const loadHeadroomMs = 2000;
const followedBoundMs = 500 + loadHeadroomMs;
const mirroredBoundMs = 250 + loadHeadroomMs;
const password = 'correct horse battery staple';

let dataDir: string;
let env: Record<string, string>;
let serviceUrl: string;
let service: RunningProcess;
/** A resource server's verifier with the revocation mirror, following the running service. */
let mirrored: Verifier;
let lastReason: RejectReason | undefined;

const writ = (...args: string[]) => runCommand(cli, ['keys', ...args], env);

/** `runCli` in this process, with a terminal that records what it printed. */
async function inProcess(
  argv: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const { io, out, err } = recordingTerminal(env, dataDir);
  const code = await runCli(argv, io);
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

interface JwksKey {
  readonly kid: string;
  readonly alg: string;
}

async function publishedKids(): Promise<string[]> {
  const jwks = await call(serviceUrl, 'GET', '/.well-known/jwks.json');
  return (jwks.body.keys as JwksKey[]).map((key) => key.kid);
}

/** Milliseconds until the running service's JWKS satisfies `done` (polling every 20 ms, up to 5 s). */
async function msUntilJwks(done: (kids: string[]) => boolean): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < 5000) {
    if (done(await publishedKids())) return performance.now() - start;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`the running service's JWKS never followed: ${await publishedKids()}`);
}

/**
 * The rows of `writ keys list`, header excluded, as { kid, alg, state, … } by column. Run in this
 * process unless `asProcess`: most calls only read the state a step left, and each Node start-up
 * costs about a second of CPU (half the file's time when every listing was a process).
 */
async function listed(asProcess = false): Promise<Array<Record<string, string>>> {
  const result = asProcess ? await writ('list') : await inProcess(['keys', 'list']);
  expect(result.code, result.stderr).toBe(0);
  const [header, ...rows] = result.stdout.trimEnd().split('\n');
  const columns = (header ?? '').trim().split(/\s+/);
  expect(columns).toEqual(['KID', 'ALG', 'STATE', 'CREATED', 'ACTIVATES', 'RETIRES']);
  return rows.map((row) => {
    const cells = row.trim().split(/\s+/);
    return Object.fromEntries(columns.map((column, at) => [column.toLowerCase(), cells[at] ?? '']));
  });
}

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'writ-keys-cli-'));
  const port = await freePort();
  serviceUrl = `http://127.0.0.1:${port}`;
  env = {
    WRIT_DATA_DIR: dataDir,
    WRIT_PORT: String(port),
    WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_AUDIENCE: 'https://api.writ.test',
    WRIT_SIGNING_ALGORITHMS: 'EdDSA,ES256',
    WRIT_LOG_LEVEL: 'warn',
  };
  const user = await runCommand(cli, ['user', 'add', 'keys-cli@example.com'], env, `${password}\n`);
  expect(user.code, user.stderr).toBe(0);
  const consumer = await runCommand(cli, ['consumer', 'add', 'keys-cli-api'], env);
  expect(consumer.code, consumer.stderr).toBe(0);
  service = startProcess(cli, ['start'], { ...env, WRIT_REVOCATION_HEARTBEAT: '1' });
  // Three node processes start before this hook ends (each ~1 s of CPU alone, 5 s beside two
  // busy cores): deadlines for a loaded CI machine, not for the feature.
  await waitUntilHealthy(`${serviceUrl}/health`, 30_000);
  mirrored = createVerifier({
    issuer: serviceUrl,
    audience: env.WRIT_AUDIENCE ?? '',
    jwksUri: `${serviceUrl}/.well-known/jwks.json`,
    algorithms: ['EdDSA', 'ES256'],
    onReject: ({ reason }) => {
      lastReason = reason;
    },
    revocations: { uri: serviceUrl, credentials: consumer.stdout.trim(), maxStalenessSec: 3 },
  });
}, 60_000);

const mirrorOutcome = async (token: string): Promise<RejectReason | 'verified'> => {
  try {
    await mirrored.verify(token);
    return 'verified';
  } catch {
    return lastReason ?? 'internal_error';
  }
};

afterAll(async () => {
  await mirrored?.close();
  await service?.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('writ keys list / export-public', { timeout: 40_000 }, () => {
  it('lists the active key of each configured algorithm as a table, and exports the JWKS the service serves', async () => {
    const rows = await listed(true);
    expect(
      rows
        .filter((row) => row.state === 'active')
        .map((row) => row.alg)
        .sort(),
    ).toEqual(['ES256', 'EdDSA']);
    for (const row of rows) {
      expect(row.created).toMatch(/^\d{4}-\d\d-\d\dT/);
      expect(row.kid).toMatch(/^[A-Za-z0-9_-]{43}$/);
    }

    const exported = await writ('export-public');
    expect(exported.code, exported.stderr).toBe(0);
    const jwks = JSON.parse(exported.stdout) as { keys: Array<Record<string, unknown>> };
    const served = await call(serviceUrl, 'GET', '/.well-known/jwks.json');
    expect(jwks).toEqual(served.body);
    for (const key of jwks.keys) expect(key).not.toHaveProperty('d');
  });
});

describe('writ keys rotate', { timeout: 40_000 }, () => {
  it('publishes a next key the running service serves within about a second, signing nothing yet', async () => {
    const tokens = await signInBody(serviceUrl, 'keys-cli@example.com', password);
    const signingKid = decodeProtectedHeader(tokens.access_token).kid;

    const rotated = await writ('rotate', '--algorithm', 'ES256');
    expect(rotated.code, rotated.stderr).toBe(0);
    const nextKid = /published next key ([A-Za-z0-9_-]{43}); it signs from (\S+)/.exec(
      rotated.stdout,
    );
    expect(nextKid, rotated.stdout).not.toBeNull();
    const kid = String(nextKid?.[1]);
    expect(Date.parse(String(nextKid?.[2]))).toBeGreaterThan(Date.now());

    const followedMs = await msUntilJwks((kids) => kids.includes(kid));
    console.info(
      `writ keys rotate → in the running service's JWKS after ${followedMs.toFixed(0)} ms`,
    );
    expect(followedMs).toBeLessThan(followedBoundMs);
    expect((await listed()).find((row) => row.kid === kid)).toMatchObject({
      alg: 'ES256',
      state: 'next',
    });
    // Still the old key that signs.
    const again = await signInBody(serviceUrl, 'keys-cli@example.com', password);
    expect(decodeProtectedHeader(again.access_token).kid).toBe(signingKid);
  });

  it('--emergency withdraws the active keys: the running service stops serving and accepting them within about a second, and sessions refresh onto the new key', async () => {
    const tokens = await signInBody(serviceUrl, 'keys-cli@example.com', password);
    const leakedKid = String(decodeProtectedHeader(tokens.access_token).kid);
    const activeBefore = (await listed()).filter((row) => row.state === 'active');
    expect(await mirrorOutcome(tokens.access_token)).toBe('verified');

    const rotated = await writ('rotate', '--emergency');
    const rotatedAt = performance.now();
    expect(rotated.code, rotated.stderr).toBe(0);
    // The `kid` entry the CLI appended reaches the mirror through the running service's log
    // reader (it polls for other writers' entries): the mirror refuses the key while its JWKS
    // copy, still fresh, holds it.
    while ((await mirrorOutcome(tokens.access_token)) === 'verified') {
      expect(performance.now() - rotatedAt).toBeLessThan(mirroredBoundMs);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    console.info(
      `writ keys rotate --emergency → refused by a mirror ${(performance.now() - rotatedAt).toFixed(0)} ms after the CLI returned`,
    );
    expect(lastReason).toBe('revoked');
    const withdrawn = [...rotated.stdout.matchAll(/withdrawn and revoked (\S+)/g)].map((m) => m[1]);
    const signing = [...rotated.stdout.matchAll(/signing now (\S+)/g)].map((m) => String(m[1]));
    expect(withdrawn.sort()).toEqual(activeBefore.map((row) => row.kid).sort());
    expect(signing).toHaveLength(2);

    const followedMs = await msUntilJwks(
      (kids) => !kids.includes(leakedKid) && signing.every((kid) => kids.includes(kid)),
    );
    expect(followedMs).toBeLessThan(followedBoundMs);
    // The service's own verifier follows the ring too.
    expect(
      (await call(serviceUrl, 'GET', '/auth/sessions', { token: tokens.access_token })).status,
    ).toBe(401);
    const refreshed = await call(serviceUrl, 'POST', '/auth/refresh', {
      body: { refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    expect(signing).toContain(decodeProtectedHeader(String(refreshed.body.access_token)).kid);
    expect((await listed()).find((row) => row.kid === leakedKid)?.state).toBe('retired');
  });

  it('--emergency <kid> withdraws only that key', async () => {
    const next = await writ('rotate');
    const nextKid = String(/published next key (\S+);/.exec(next.stdout)?.[1]);
    await msUntilJwks((kids) => kids.includes(nextKid));
    const rotated = await writ('rotate', '--emergency', nextKid);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stdout).toContain(`withdrawn and revoked ${nextKid}`);
    await msUntilJwks((kids) => !kids.includes(nextKid));
    expect((await listed()).filter((row) => row.state === 'active')).toHaveLength(2);
  });

  it('refuses what it cannot do, changing nothing', async () => {
    const before = await listed();
    const cases: Array<[string[], number, RegExp]> = [
      [['rotate', '--algorithm', 'RS256'], 2, /not in WRIT_SIGNING_ALGORITHMS/],
      [['rotate', '--algorithm'], 2, /usage: writ keys/],
      [['rotate', '--emergency', '--algorithm', 'ES256'], 2, /without --emergency/],
      [['rotate', 'some-kid'], 2, /--emergency <kid>/],
      [['rotate', '--emergency', 'A'.repeat(43)], 1, /no published signing key has that kid/],
      [['rotate', '--force'], 2, /usage: writ keys/],
      [['frobnicate'], 2, /usage: writ keys/],
      [[], 2, /usage: writ keys/],
    ];
    // Two as real processes (the exit code the shell sees); the rest through the same dispatcher
    // in this process, which costs no Node start-up each.
    for (const [at, [args, code, message]] of cases.entries()) {
      const result = at < 2 ? await writ(...args) : await inProcess(['keys', ...args]);
      expect(result.code, args.join(' ')).toBe(code);
      expect(result.stderr, args.join(' ')).toMatch(message);
    }
    expect(await listed()).toEqual(before);
  }, 40_000);

  it('refuses to seal a key under a master key that does not open the stored ones', async () => {
    const before = await listed();
    const result = await runCommand(cli, ['keys', 'rotate'], {
      ...env,
      WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('the master key does not open the stored signing keys');
    expect(await listed()).toEqual(before);
  });
});
