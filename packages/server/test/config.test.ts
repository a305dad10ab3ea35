import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

  it('refuses a WRIT_CONFIG that names no file, instead of starting on defaults', () => {
    const cwd = workdir();
    expect(problemsOf({ WRIT_CONFIG: 'writ.confg.json' }, cwd)).toEqual([
      `WRIT_CONFIG names ${join(cwd, 'writ.confg.json')}, which does not exist`,
    ]);
    // Without WRIT_CONFIG, the default file is optional.
    expect(problemsOf({}, cwd)).toEqual([]);
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
    [{ WRIT_ISSUER: 'ftp://x' }, 'WRIT_ISSUER must be an https URL'],
    [{ WRIT_ISSUER: 'javascript:alert(1)' }, 'WRIT_ISSUER must be an https URL'],
    [{ WRIT_ISSUER: 'file:///etc/passwd' }, 'WRIT_ISSUER must be an https URL'],
    [{ WRIT_HOST: '0.0.0.0' }, 'development mode listens on loopback only'],
    [{ WRIT_HOST: '::' }, 'development mode listens on loopback only'],
    [{ WRIT_HOST: '192.0.2.10' }, 'development mode listens on loopback only'],
    [{ WRIT_TRUST_PROXY: 'true' }, 'true is refused'],
    [{ WRIT_TRUST_PROXY: '0' }, 'WRIT_TRUST_PROXY must be false, a hop count'],
    [{ WRIT_TRUST_PROXY: '11' }, 'WRIT_TRUST_PROXY must be false, a hop count'],
    [{ WRIT_TRUST_PROXY: '10.0.0.0/33' }, 'WRIT_TRUST_PROXY must be false, a hop count'],
    [{ WRIT_TRUST_PROXY: 'proxy.example.com' }, 'WRIT_TRUST_PROXY must be false, a hop count'],
    [{ WRIT_REQUEST_TIMEOUT: '0' }, 'WRIT_REQUEST_TIMEOUT must be a whole number from 1 to 300'],
    // Two heartbeats must fit in consumers' default staleness bound (30 s).
    [
      { WRIT_REVOCATION_HEARTBEAT: '16' },
      'WRIT_REVOCATION_HEARTBEAT must be a whole number from 1 to 15',
    ],
    [
      { WRIT_MAX_CONNECTIONS: '100', WRIT_REVOCATION_STREAMS_TOTAL: '100' },
      'WRIT_MAX_CONNECTIONS must exceed WRIT_REVOCATION_STREAMS_TOTAL',
    ],
  ])('refuses %o with a clear message', (env, message) => {
    const problems = problemsOf(env);
    expect(problems.join('\n')).toContain(message);
  });

  it.each([
    ['all zero', Buffer.alloc(32)],
    ['all one byte', Buffer.alloc(32, 0x41)],
    ['15 distinct bytes', Buffer.from(Array.from({ length: 32 }, (_, i) => i % 15))],
  ])('refuses a low-entropy master key (%s), in production and in development', (_name, key) => {
    const production = {
      WRIT_MODE: 'production',
      WRIT_ISSUER: 'https://auth.example.com',
      WRIT_HOST: '0.0.0.0',
      WRIT_MASTER_KEY: key.toString('base64url'),
    };
    expect(problemsOf(production).join('\n')).toContain('WRIT_MASTER_KEY looks made up');
    expect(problemsOf({ WRIT_MASTER_KEY: key.toString('base64url') }).join('\n')).toContain(
      'WRIT_MASTER_KEY looks made up',
    );
  });

  it('serves a network only in production: 0.0.0.0 and :: are accepted there', () => {
    for (const host of ['0.0.0.0', '::']) {
      const config = loadConfig({
        env: {
          WRIT_MODE: 'production',
          WRIT_HOST: host,
          WRIT_ISSUER: 'https://auth.example.com',
          WRIT_MASTER_KEY: masterKey,
        },
        cwd: workdir(),
        warn: () => {},
      });
      expect(config.host).toBe(host);
    }
  });

  it('derives a bracketed issuer for an IPv6 loopback host', () => {
    const config = loadConfig({
      env: { WRIT_HOST: '::1', WRIT_MASTER_KEY: masterKey },
      cwd: workdir(),
      warn: () => {},
    });
    expect(config.issuer).toBe('http://[::1]:4000');
  });

  it('names the real problem for WRIT_HOST=:: in production (the issuer must be https), not a malformed URL', () => {
    const problems = problemsOf({
      WRIT_MODE: 'production',
      WRIT_HOST: '::',
      WRIT_MASTER_KEY: masterKey,
    });
    expect(problems).toEqual(['WRIT_ISSUER must use https outside development']);
  });

  it('refuses an existing data folder that other users can read, saying how to fix it', () => {
    const cwd = workdir();
    const dataDir = join(cwd, 'data');
    mkdirSync(dataDir);
    chmodSync(dataDir, 0o755);
    const problems = problemsOf({ WRIT_DATA_DIR: dataDir, WRIT_MASTER_KEY: masterKey }, cwd);
    expect(problems.join('\n')).toContain(`run: chmod 700 ${dataDir}`);
    chmodSync(dataDir, 0o700);
    expect(problemsOf({ WRIT_DATA_DIR: dataDir, WRIT_MASTER_KEY: masterKey }, cwd)).toEqual([]);
  });

  it('reads WRIT_TRUST_PROXY as off, a hop count, or proxy addresses', () => {
    const trust = (value: string) =>
      loadConfig({
        env: { WRIT_TRUST_PROXY: value, WRIT_MASTER_KEY: masterKey },
        cwd: workdir(),
        warn: () => {},
      }).trustProxy;
    expect(trust('false')).toEqual({ kind: 'none' });
    expect(trust('2')).toEqual({ kind: 'hops', hops: 2 });
    expect(trust('10.0.0.1, 192.168.0.0/16, ::1, fd00::/8, loopback')).toEqual({
      kind: 'addresses',
      addresses: ['10.0.0.1', '192.168.0.0/16', '::1', 'fd00::/8', 'loopback'],
    });
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

  it('reads the signing algorithms, the per-audience choice and the rotation period', () => {
    const warnings: string[] = [];
    const config = loadConfig({
      env: {
        WRIT_MASTER_KEY: masterKey,
        WRIT_SIGNING_ALGORITHMS: 'EdDSA, ES256,ML-DSA-44',
        WRIT_AUDIENCE_ALGORITHMS: 'https://legacy.example=ES256,urn:x:pq=ML-DSA-44',
        WRIT_KEY_ROTATION_SEC: '4',
      },
      cwd: workdir(),
      warn: (message) => warnings.push(message),
    });
    expect(config.signingAlgorithms).toEqual(['EdDSA', 'ES256', 'ML-DSA-44']);
    expect([...config.audienceAlgorithms]).toEqual([
      ['https://legacy.example', 'ES256'],
      ['urn:x:pq', 'ML-DSA-44'],
    ]);
    expect(config.keyRotationPeriodSec).toBe(4);
    expect(config.keyCustody).toBe('sealed');
    expect(warnings.some((warning) => warning.includes('ML-DSA-44 is experimental'))).toBe(true);
    const defaults = loadConfig({
      env: { WRIT_MASTER_KEY: masterKey },
      cwd: workdir(),
      warn: () => {},
    });
    expect(defaults.signingAlgorithms).toEqual(['EdDSA']);
    expect(defaults.audienceAlgorithms.size).toBe(0);
    expect(defaults.keyRotationPeriodSec).toBe(30 * 86400);
  });

  it('refuses unknown signing algorithms, audience choices outside the set and bad rotation periods', () => {
    const problems = problemsOf({
      WRIT_SIGNING_ALGORITHMS: 'EdDSA,HS256,none',
      WRIT_AUDIENCE_ALGORITHMS: 'https://a.example=RS256,noequals',
      WRIT_KEY_ROTATION_DAYS: '0',
      WRIT_KEY_CUSTODY: 'kms',
    }).join('\n');
    expect(problems).toContain('WRIT_SIGNING_ALGORITHMS: "HS256", "none" not one of');
    expect(problems).toContain('"RS256" for "https://a.example" is not in WRIT_SIGNING_ALGORITHMS');
    expect(problems).toContain('"noequals" is not aud=alg');
    expect(problems).toContain('WRIT_KEY_ROTATION_DAYS must be a whole number from 1 to 365');
    expect(problems).toContain('WRIT_KEY_CUSTODY must be sealed or signer-process');
    expect(problemsOf({ WRIT_KEY_ROTATION_SEC: '1' }).join('\n')).toContain(
      'WRIT_KEY_ROTATION_SEC must be a whole number from 2',
    );
    expect(
      problemsOf({ WRIT_MODE: 'production', WRIT_KEY_ROTATION_SEC: '10' }).join('\n'),
    ).toContain('WRIT_KEY_ROTATION_SEC is for tests, in development only');
    expect(
      problemsOf({ WRIT_KEY_ROTATION_SEC: '10', WRIT_KEY_ROTATION_DAYS: '3' }).join('\n'),
    ).toContain('not both');
  });

  it('refuses a master key in the config file and unknown settings', () => {
    const cwd = workdir();
    writeFileSync(join(cwd, 'writ.config.json'), JSON.stringify({ masterKey, colour: 'blue' }));
    const problems = problemsOf({}, cwd).join('\n');
    expect(problems).toContain('masterKey belongs in WRIT_MASTER_KEY');
    expect(problems).toContain('unknown setting "colour"');
  });
});
