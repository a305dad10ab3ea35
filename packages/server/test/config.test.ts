import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/platform/config/load-config.ts';

const dirs: string[] = [];
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'writ-config-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const masterKey = randomBytes(32).toString('base64url');

function problemsOf(env: Record<string, string>, cwd = workdir()): readonly string[] {
  try {
    loadConfig({ env, cwd, warn: () => {} });
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('loadConfig', () => {
  it('starts in development with nothing configured: loopback issuer, data in ./.writ, a 0600 master key file', () => {
    const cwd = workdir();
    const warnings: string[] = [];
    const config = loadConfig({ env: {}, cwd, warn: (message) => warnings.push(message) });
    expect(config).toMatchObject({
      mode: 'development',
      issuer: 'http://127.0.0.1:4000',
      port: 4000,
      dataDir: join(cwd, '.writ'),
      databaseUrl: `sqlite:${join(cwd, '.writ', 'writ.db')}`,
      accessTokenTtlSec: 600,
      masterKeySource: 'development-file',
    });
    expect(config.masterKey).toHaveLength(32);
    expect(statSync(join(cwd, '.writ', 'master.key')).mode & 0o777).toBe(0o600);
    expect(warnings.join()).toContain('development master key');
    // The same key is read back on the next start.
    const again = loadConfig({ env: {}, cwd, warn: () => {} });
    expect(Buffer.from(again.masterKey).equals(Buffer.from(config.masterKey))).toBe(true);
  });

  it('reads writ.config.json, with the environment taking precedence', () => {
    const cwd = workdir();
    writeFileSync(
      join(cwd, 'writ.config.json'),
      JSON.stringify({ port: 5000, audience: 'from-file' }),
    );
    const config = loadConfig({
      env: { WRIT_AUDIENCE: 'from-env', WRIT_MASTER_KEY: masterKey },
      cwd,
      warn: () => {},
    });
    expect(config.port).toBe(5000);
    expect(config.audience).toBe('from-env');
  });

  it.each([
    [
      {
        WRIT_MODE: 'production',
        WRIT_MASTER_KEY: masterKey,
        WRIT_ISSUER: 'http://auth.example.com',
      },
      'must use https outside development',
    ],
    [
      { WRIT_MODE: 'production', WRIT_ISSUER: 'https://auth.example.com' },
      'WRIT_MASTER_KEY is required',
    ],
    [{ WRIT_ISSUER: 'http://auth.example.com' }, 'plain http only for a loopback host'],
    [{ WRIT_ISSUER: 'https://auth.example.com/' }, 'must not end with "/"'],
    [{ WRIT_ISSUER: 'not a url' }, 'must be an absolute URL'],
    [{ WRIT_ISSUER: 'https://auth.example.com?x=1' }, 'must not have a query'],
    [{ WRIT_MODE: 'staging' }, 'WRIT_MODE must be'],
    [{ WRIT_PORT: 'eighty' }, 'WRIT_PORT must be a whole number'],
    [
      { WRIT_ACCESS_TOKEN_TTL: '3600' },
      'WRIT_ACCESS_TOKEN_TTL must be a whole number from 30 to 900',
    ],
    [
      { WRIT_SESSION_IDLE_TTL: '900000', WRIT_SESSION_ABSOLUTE_TTL: '86400' },
      'must not be shorter than',
    ],
    [{ WRIT_MASTER_KEY: 'c2hvcnQ' }, 'WRIT_MASTER_KEY must be 32 random bytes'],
    [{ WRIT_COOKIE_SAMESITE: 'None' }, 'Strict or Lax'],
    [{ WRIT_DATABASE_URL: 'mysql://x' }, 'WRIT_DATABASE_URL must be'],
  ])('refuses %o with a clear message', (env, message) => {
    const problems = problemsOf(env);
    expect(problems.join('\n')).toContain(message);
  });

  it('reports every problem at once, one line each', () => {
    const problems = problemsOf({
      WRIT_PORT: 'x',
      WRIT_MODE: 'nope',
      WRIT_COOKIE_SAMESITE: 'None',
    });
    expect(problems.length).toBeGreaterThanOrEqual(3);
    for (const problem of problems) expect(problem).not.toContain('\n');
  });

  it('refuses a master key in the config file and unknown settings', () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'writ.config.json'), JSON.stringify({ masterKey, colour: 'blue' }));
    const problems = problemsOf({}, cwd).join('\n');
    expect(problems).toContain('masterKey belongs in WRIT_MASTER_KEY');
    expect(problems).toContain('unknown setting "colour"');
  });
});
