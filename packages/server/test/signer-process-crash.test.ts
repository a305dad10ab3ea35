import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compactVerify, importJWK } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import type { CustodyKey } from '../src/keys/key-custody.ts';
import { createSignerProcessCustody } from '../src/keys/signer-process/signer-custody.ts';
import { SignerKeyStore } from '../src/keys/signer-process/signer-key-store.ts';
import { eventually } from './support/interop-rp.ts';
import { type RunningProcess, startSignerProcess } from './support/processes.ts';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function signerSetup() {
  const dir = mkdtempSync(join(tmpdir(), 'writ-signer-crash-'));
  chmodSync(dir, 0o700);
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const secret = randomBytes(32);
  writeFileSync(join(dir, 'secret'), secret, { mode: 0o600 });
  const env = {
    WRIT_SIGNER_SOCKET: join(dir, 'run', 'signer.sock'),
    WRIT_SIGNER_SECRET_FILE: join(dir, 'secret'),
    WRIT_SIGNER_MASTER_KEY: randomBytes(32).toString('base64url'),
    WRIT_SIGNER_DATA_DIR: join(dir, 'store'),
  };
  return { dir, secret, env };
}

async function startSigner(env: Record<string, string>): Promise<RunningProcess> {
  const started = await startSignerProcess(env);
  cleanups.push(() => started.kill());
  return started;
}

describe('the signer killed mid-write (SIGKILL)', () => {
  it('keeps every key and state change it answered, and starts again from a whole store', async () => {
    const { dir, secret, env } = signerSetup();
    const signer = await startSigner(env);
    const custody = createSignerProcessCustody({
      socketPath: env.WRIT_SIGNER_SOCKET,
      secret,
      callTimeoutMs: 5000,
    });
    cleanups.push(() => custody.close());
    const answered: CustodyKey[] = [];
    let running = true;
    // Keys made and activated one after another until the kill lands in the middle of one.
    const load = (async () => {
      while (running) {
        try {
          const key = await custody.create('EdDSA');
          await custody.stateChanged(key, 'active');
          answered.push(key);
        } catch {
          return;
        }
      }
    })();
    try {
      // A deadline, so a load that stopped early fails here instead of waiting out the test.
      await eventually(() => (answered.length >= 5 ? true : undefined), 15_000);
      await signer.kill();
    } finally {
      running = false;
      await load;
    }
    await startSigner(env);
    for (const key of answered) {
      const handle = await custody.open(key);
      const header = Buffer.from(JSON.stringify({ alg: 'EdDSA', kid: key.kid })).toString(
        'base64url',
      );
      const input = new TextEncoder().encode(`${header}.e30`);
      const signature = Buffer.from(await handle.sign(input)).toString('base64url');
      await compactVerify(`${header}.e30.${signature}`, await importJWK(key.publicJwk, 'EdDSA'));
    }
    // No temporary file of the cut-short write survives the restart.
    expect(readdirSync(join(dir, 'store')).filter((name) => name.includes('.tmp-'))).toEqual([]);
  }, 30_000);

  it('ignores a temporary file a crash left behind: it was never committed', async () => {
    const { dir, env } = signerSetup();
    const store = await SignerKeyStore.open(
      env.WRIT_SIGNER_DATA_DIR,
      Buffer.from(env.WRIT_SIGNER_MASTER_KEY, 'base64url'),
    );
    const key = await store.create('ES256');
    await store.close();
    writeFileSync(join(env.WRIT_SIGNER_DATA_DIR, 'signer-keys.json.tmp-deadbeef0000'), '{"half": ');
    const reopened = await SignerKeyStore.open(
      env.WRIT_SIGNER_DATA_DIR,
      Buffer.from(env.WRIT_SIGNER_MASTER_KEY, 'base64url'),
    );
    expect(reopened.list().map((entry) => entry.kid)).toEqual([key.kid]);
    expect(readdirSync(join(dir, 'store'))).toEqual(['signer-keys.json']);
  });
});
