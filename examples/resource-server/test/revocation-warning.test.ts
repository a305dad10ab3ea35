import { describe, expect, it } from 'vitest';
import { buildApp } from '../src/app.ts';
import type { Config } from '../src/config.ts';

function config(revocations: Config['revocations']): Config {
  return {
    issuer: 'http://127.0.0.1:4000',
    audience: 'https://api.writ.test',
    jwksUri: 'http://127.0.0.1:4000/.well-known/jwks.json',
    host: '127.0.0.1',
    port: 0,
    logLevel: 'info',
    revocations,
  };
}

async function startUpLog(revocations: Config['revocations']): Promise<string> {
  const lines: string[] = [];
  const app = buildApp(config(revocations), { logStream: { write: (line) => lines.push(line) } });
  await app.ready();
  await app.close();
  return lines.join('');
}

describe('the example resource server at start', () => {
  it('warns when it runs without the revocation mirror (signed-out tokens stay valid until they expire)', async () => {
    const log = await startUpLog(undefined);
    expect(log).toContain('"level":40');
    expect(log).toContain('no revocation mirror');
  });

  it('says nothing of the kind when the mirror is configured, and never logs the consumer key', async () => {
    const credentials = 'wck_not-a-real-consumer-key-0123456789';
    const log = await startUpLog({
      uri: 'http://127.0.0.1:9/revocations',
      credentials,
      maxStalenessSec: 30,
    });
    expect(log).not.toContain('no revocation mirror');
    expect(log).not.toContain(credentials);
  });
});
