import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exportJWK, generateKeyPair } from 'jose';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/loopback.ts';
import { startService } from '../src/app/start-service.ts';
import { runCli } from '../src/cli/main.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';
import { recordingTerminal } from './support/cli-terminal.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'writ-client-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));
const masterKey = randomBytes(32).toString('base64url');
const env = {
  WRIT_DATA_DIR: dataDir,
  WRIT_MASTER_KEY: masterKey,
  WRIT_AUDIENCE: 'https://api.cli.test',
};

const terminal = () => recordingTerminal(env, dataDir);

describe('writ client add / list', () => {
  it('registers a client, prints its secret once, and the running service authenticates it', async () => {
    const added = terminal();
    const code = await runCli(
      [
        'client',
        'add',
        'Reports job',
        '--grant',
        'client_credentials',
        '--scope',
        'reports:read reports:write',
        '--audience',
        'https://reports.example',
        '--access-token-format',
        'opaque',
      ],
      added.io,
    );
    expect(code, added.err.join('\n')).toBe(0);
    const printed = JSON.parse(added.out.join('\n')) as Record<string, unknown>;
    expect(printed).toMatchObject({
      client_name: 'Reports job',
      token_endpoint_auth_method: 'client_secret_basic',
      grant_types: ['client_credentials'],
      scope: 'reports:read reports:write',
      audiences: ['https://reports.example'],
      access_token_format: 'opaque',
    });
    const clientId = String(printed.client_id);
    const secret = String(printed.client_secret);
    expect(secret).toMatch(/^wcs_[A-Za-z0-9_-]{43}$/);
    expect(added.err.join('\n')).toContain('shown once');

    const listed = terminal();
    expect(await runCli(['client', 'list'], listed.io)).toBe(0);
    expect(listed.out.join('\n')).toMatch(
      new RegExp(
        `^${clientId}\\tReports job\\tclient_secret_basic\\tclient_credentials\\tcreated \\d{4}-`,
      ),
    );
    expect([...listed.out, ...listed.err].join('\n')).not.toContain(secret);

    const port = await freePort();
    const service = await startService(
      loadConfig({ env: { ...env, WRIT_PORT: String(port) }, cwd: dataDir, warn: () => {} }),
      { logger: false },
    );
    try {
      const answer = await fetch(`${service.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:${secret}`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials&scope=reports%3Aread',
      });
      expect(answer.status).toBe(200);
      const wrong = await fetch(`${service.url}/oauth/token`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          authorization: `Basic ${Buffer.from(`${clientId}:wcs_wrong`).toString('base64')}`,
        },
        body: 'grant_type=client_credentials',
      });
      expect(wrong.status).toBe(401);
    } finally {
      await service.close();
    }
  });

  it('registers a private_key_jwt client from a JWKS file, with no secret', async () => {
    const { publicKey } = await generateKeyPair('ES256', { extractable: true });
    const jwksPath = join(dataDir, 'client-jwks.json');
    writeFileSync(jwksPath, JSON.stringify({ keys: [await exportJWK(publicKey)] }));
    const added = terminal();
    expect(
      await runCli(
        [
          'client',
          'add',
          'signer',
          '--auth-method',
          'private_key_jwt',
          '--grant',
          'client_credentials',
          '--jwks',
          jwksPath,
        ],
        added.io,
      ),
    ).toBe(0);
    const printed = JSON.parse(added.out.join('\n')) as Record<string, unknown>;
    expect(printed.client_secret).toBeUndefined();
    expect(printed.token_endpoint_auth_method).toBe('private_key_jwt');
  });

  it('refuses an invalid registration with the admin API’s description and exit code 1', async () => {
    const refused = terminal();
    expect(
      await runCli(
        ['client', 'add', 'web', '--redirect-uri', 'http://shop.example/cb'],
        refused.io,
      ),
    ).toBe(1);
    expect(refused.err.join('\n')).toContain('redirect_uris must be');
    expect(refused.out).toEqual([]);
  });

  it('prints its options for --help and exits 0', async () => {
    const t = terminal();
    expect(await runCli(['client', 'add', '--help'], t.io)).toBe(0);
    expect(t.err.join('\n')).toContain('--redirect-uri <uri>');
  });

  it('answers usage with exit code 2 to a missing name, an unknown option or a missing value', async () => {
    for (const args of [
      [],
      ['--grant', 'client_credentials'],
      ['x', '--colour', 'blue'],
      ['x', '--scope'],
    ]) {
      const t = terminal();
      expect(await runCli(['client', 'add', ...args], t.io)).toBe(2);
      expect(t.err.join('\n')).toContain('usage: writ client add');
    }
  });
});
