import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/loopback.ts';
import { startTestService } from '../../../test/support/test-service.ts';
import { runCommand, startProcess, waitUntilHealthy } from './support/processes.ts';
import { openSse } from './support/sse-reader.ts';

const cli = 'packages/server/src/cli/main.ts';
const password = 'correct horse battery staple';
const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('the service lifecycle', () => {
  it('finishes a request in flight when asked to stop, and ends revocation streams', async () => {
    const service = await startTestService();
    await service.addUser('drain@example.com', password);
    const stream = await openSse(`${service.url}/revocations/stream`, {
      authorization: `Bearer ${await service.addKey('consumer')}`,
    });
    // Sign-in spends ~40 ms in Argon2id: long enough to be in flight when close() starts.
    // close() starts once the service has the request (a fixed pause could end before the
    // request arrived on a loaded machine, and a refused connection is not what is tested).
    const arrived = new Promise<void>((resolve) =>
      service.app.server.on('request', (request: IncomingMessage) => {
        if (request.url === '/auth/sign-in') resolve();
      }),
    );
    const inFlight = fetch(`${service.url}/auth/sign-in`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'drain@example.com', password }),
    });
    await arrived;
    const closing = service.destroy();
    const response = await inFlight;
    expect(response.status).toBe(200);
    await closing;
    stream.close();
    await expect(fetch(`${service.url}/health`)).rejects.toThrow();
  });

  it('creates its database and signing key on first start, keeps them across restarts, and stops on SIGTERM', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'writ-lifecycle-'));
    dirs.push(dataDir);
    const port = await freePort();
    const env = { WRIT_DATA_DIR: dataDir, WRIT_PORT: String(port), WRIT_LOG_LEVEL: 'warn' };
    const jwks = async () =>
      (
        (await (await fetch(`http://127.0.0.1:${port}/.well-known/jwks.json`)).json()) as {
          keys: Array<{ kid: string }>;
        }
      ).keys;

    const first = startProcess(cli, ['start'], env);
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`);
    const kid = (await jwks())[0]?.kid;
    expect(first.output()).toContain('development master key');
    expect(first.output()).toContain('writ user add');
    expect(await first.stop()).toBe(0);

    const second = startProcess(cli, ['start'], env);
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`);
    expect((await jwks()).map((k) => k.kid)).toEqual([kid]);
    expect(await second.stop()).toBe(0);
  });

  it('refuses to start, with one clear line, when the master key cannot open the stored keys', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'writ-lifecycle-'));
    dirs.push(dataDir);
    const port = await freePort();
    const base = { WRIT_DATA_DIR: dataDir, WRIT_PORT: String(port), WRIT_LOG_LEVEL: 'warn' };
    const first = startProcess(cli, ['start'], {
      ...base,
      WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    });
    await waitUntilHealthy(`http://127.0.0.1:${port}/health`);
    await first.stop();
    const wrongKey = await runCommand(cli, ['start'], {
      ...base,
      WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
    });
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stderr).toContain('the master key does not open the stored signing keys');
    expect(wrongKey.stderr).not.toContain('    at ');
  });

  it('reports configuration mistakes without starting', async () => {
    const result = await runCommand(cli, ['start'], {
      WRIT_MODE: 'production',
      WRIT_ISSUER: 'http://auth.example.com',
      WRIT_DATA_DIR: tmpdir(),
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('WRIT_ISSUER must use https outside development');
    expect(result.stderr).toContain('WRIT_MASTER_KEY is required');
  });
});
