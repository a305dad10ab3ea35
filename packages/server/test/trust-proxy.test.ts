import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test/support/loopback.ts';
import { startTestService, type TestService } from '../../../test/support/test-service.ts';
import { startService } from '../src/app/start-service.ts';
import { loadConfig } from '../src/platform/config/load-config.ts';

const password = 'correct horse battery staple';
const services: Array<{ destroy(): Promise<void> }> = [];
afterEach(async () => {
  for (const service of services.splice(0)) await service.destroy();
});

/** Signs in through a "proxy" that appended `forwardedFor`, and returns the IP the session recorded. */
async function recordedIp(service: TestService, forwardedFor: string): Promise<string> {
  const email = `ip-${randomBytes(4).toString('hex')}@example.com`;
  await service.addUser(email, password);
  const signIn = await fetch(`${service.url}/auth/sign-in`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-forwarded-for': forwardedFor },
    body: JSON.stringify({ email, password }),
  });
  expect(signIn.status).toBe(200);
  const { access_token } = (await signIn.json()) as { access_token: string };
  const list = await fetch(`${service.url}/auth/sessions`, {
    headers: { authorization: `Bearer ${access_token}` },
  });
  const { sessions } = (await list.json()) as { sessions: Array<{ ip: string }> };
  return sessions[0]?.ip ?? '';
}

describe('WRIT_TRUST_PROXY', () => {
  it('with a hop count of 1 takes the entry the proxy appended, never the leftmost one the client wrote', async () => {
    const service = await startTestService({ WRIT_TRUST_PROXY: '1' });
    services.push(service);
    // The client sent "X-Forwarded-For: 6.6.6.6"; the proxy appended the address it saw.
    expect(await recordedIp(service, '6.6.6.6, 203.0.113.7')).toBe('203.0.113.7');
  });

  it('with proxy addresses believes entries only while they come from a listed proxy', async () => {
    // The test client connects from 127.0.0.1: the one listed proxy.
    const service = await startTestService({ WRIT_TRUST_PROXY: '127.0.0.1/32, 10.0.0.0/8' });
    services.push(service);
    expect(await recordedIp(service, '6.6.6.6, 203.0.113.7, 10.1.2.3')).toBe('203.0.113.7');
  });

  it('off (the default) records the peer address and says once, in the log, that X-Forwarded-For was ignored', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'writ-test-'));
    const lines: string[] = [];
    const config = loadConfig({
      env: {
        WRIT_DATA_DIR: dataDir,
        WRIT_PORT: String(await freePort()),
        WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
      },
      cwd: dataDir,
      warn: () => {},
    });
    const running = await startService(config, {
      logger: { level: 'warn', stream: { write: (line) => lines.push(line) } },
    });
    services.push({
      async destroy() {
        await running.close();
        rmSync(dataDir, { recursive: true, force: true });
      },
    });
    for (let i = 0; i < 3; i++) {
      await fetch(`${running.url}/health`, { headers: { 'x-forwarded-for': '6.6.6.6' } });
    }
    const warnings = lines.filter((line) => line.includes('X-Forwarded-For'));
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).not.toContain('6.6.6.6');
  });
});
