import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { afterEach, describe, expect, it } from 'vitest';
import { call, signInBody } from '../../../test/support/api-client.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { startService } from '../src/app/start-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { hashSecret } from '../src/platform/crypto/random.ts';
import { type RunningProcess, startProcess } from './support/processes.ts';

const email = 'crash@example.com';
const password = 'correct horse battery staple';

async function waitForUrl(child: RunningProcess): Promise<string> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const line = child
      .output()
      .split('\n')
      .find((text) => text.startsWith('{"url"'));
    if (line !== undefined) return (JSON.parse(line) as { url: string }).url;
    if (Date.now() > deadline) throw new Error(`service did not start: ${child.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('refresh rotations under group commit survive a crash', () => {
  let dataDir: string | undefined;
  afterEach(() => {
    if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
  });

  it('keeps every rotation it answered 200 when killed with SIGKILL mid-load', async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'writ-crash-'));
    const env = {
      WRIT_DATA_DIR: dataDir,
      WRIT_PORT: String(await freePort()),
      WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
      WRIT_TEST_EMAIL: email,
      WRIT_TEST_PASSWORD: password,
    };
    const child = startProcess('packages/server/test/support/crash-child.ts', [], env);
    const answered: string[] = [];
    /** Per chain, the newest refresh token the service handed out (answered 200). */
    const newest: string[] = [];
    const idle: string[] = [];
    try {
      const url = await waitForUrl(child);
      for (let chain = 0; chain < 8; chain++) {
        newest.push((await signInBody(url, email, password)).refresh_token);
      }
      // Two chains rotated once and then left alone: no request of theirs is in flight at the
      // crash, so their newest tokens must survive unused (each loaded chain's newest may have
      // been spent by a request whose commit landed but whose answer the crash swallowed).
      for (let chain = 0; chain < 2; chain++) {
        const first = (await signInBody(url, email, password)).refresh_token;
        const rotated = await call(url, 'POST', '/auth/refresh', {
          body: { refresh_token: first },
        });
        expect(rotated.status).toBe(200);
        idle.push(String(rotated.body.refresh_token));
      }
      let crashed = false;
      const chains = newest.map(async (_, chain) => {
        while (!crashed) {
          const response = await call(url, 'POST', '/auth/refresh', {
            body: { refresh_token: newest[chain] },
          }).catch(() => undefined);
          if (response === undefined) return; // the process is gone
          expect(response.status).toBe(200);
          const token = String(response.body.refresh_token);
          answered.push(token);
          newest[chain] = token;
        }
      });
      // Let the load run until many rotations were answered, then crash in the middle of it.
      const deadline = Date.now() + 15_000;
      while (answered.length < 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      crashed = true;
      await child.kill();
      await Promise.all(chains);
    } finally {
      await child.kill();
    }
    expect(answered.length).toBeGreaterThanOrEqual(200);

    // Every token answered 200 is on disk after the crash…
    const database = new DatabaseSync(join(dataDir, 'writ.db'));
    const find = database.prepare('SELECT used_at FROM refresh_tokens WHERE token_hash = ?');
    const missing = answered.filter((token) => find.get(hashSecret(token)) === undefined);
    const newestUnused = newest.filter((token) => find.get(hashSecret(token))?.used_at === null);
    const idleUnused = idle.filter((token) => find.get(hashSecret(token))?.used_at === null);
    database.close();
    expect(missing).toEqual([]);
    expect(idleUnused).toEqual(idle);

    // …and the newest of each chain that no request in flight spent still rotates.
    const config = loadConfig({ env, cwd: dataDir, warn: () => {} });
    const restarted = await startService(config, { logger: false });
    try {
      for (const token of [...idle, ...newestUnused]) {
        const response = await call(restarted.url, 'POST', '/auth/refresh', {
          body: { refresh_token: token },
        });
        expect(response.status).toBe(200);
      }
    } finally {
      await restarted.close();
    }
  }, 60_000);
});
