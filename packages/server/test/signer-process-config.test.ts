import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadSignerProcessConfig } from '../src/keys/signer-process/signer-config.ts';
import { ConfigError, loadConfig } from '../src/platform/config/load-config.ts';

const dirs: string[] = [];
function workdir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'writ-signer-config-'));
  chmodSync(dir, 0o700);
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

function secretFile(dir: string, content: Buffer = randomBytes(32), mode = 0o600): string {
  const path = join(dir, `secret-${randomBytes(4).toString('hex')}`);
  writeFileSync(path, content, { mode });
  chmodSync(path, mode);
  return path;
}

function problemsOf(run: () => unknown): readonly string[] {
  try {
    run();
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

const serviceProblems = (env: Record<string, string>, cwd: string) =>
  problemsOf(() =>
    loadConfig({
      env: { WRIT_MASTER_KEY: randomBytes(32).toString('base64url'), ...env },
      cwd,
      warn: () => {},
    }),
  );

describe('the service with WRIT_KEY_CUSTODY=signer-process', () => {
  it('reads the socket path and the shared secret', () => {
    const dir = workdir();
    const secret = randomBytes(32);
    const config = loadConfig({
      env: {
        WRIT_MASTER_KEY: randomBytes(32).toString('base64url'),
        WRIT_KEY_CUSTODY: 'signer-process',
        WRIT_SIGNER_SOCKET: join(dir, 'signer.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, secret),
      },
      cwd: dir,
      warn: () => {},
    });
    expect(config.keyCustody).toBe('signer-process');
    expect(config.signerProcess?.socketPath).toBe(join(dir, 'signer.sock'));
    expect(Buffer.from(config.signerProcess?.secret ?? []).equals(secret)).toBe(true);
  });

  it.each<[string, (dir: string) => Record<string, string>, RegExp]>([
    [
      'no socket',
      (dir) => ({ WRIT_SIGNER_SECRET_FILE: secretFile(dir) }),
      /WRIT_SIGNER_SOCKET is required/,
    ],
    [
      'a relative socket path',
      (dir) => ({ WRIT_SIGNER_SOCKET: 'signer.sock', WRIT_SIGNER_SECRET_FILE: secretFile(dir) }),
      /absolute path/,
    ],
    [
      'a socket path too long for sockaddr_un',
      (dir) => ({
        WRIT_SIGNER_SOCKET: `/${'s'.repeat(120)}`,
        WRIT_SIGNER_SECRET_FILE: secretFile(dir),
      }),
      /longer than a Unix socket path/,
    ],
    [
      'no secret file',
      (dir) => ({ WRIT_SIGNER_SOCKET: join(dir, 's.sock') }),
      /WRIT_SIGNER_SECRET_FILE is required/,
    ],
    [
      'a missing secret file',
      (dir) => ({
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: join(dir, 'nope'),
      }),
      /cannot be read/,
    ],
    [
      'a group-readable secret file',
      (dir) => ({
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, randomBytes(32), 0o640),
      }),
      /open to other users \(mode 0640\); run: chmod 600/,
    ],
    [
      'a world-readable secret file',
      (dir) => ({
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, randomBytes(32), 0o604),
      }),
      /open to other users/,
    ],
    [
      'a short secret',
      (dir) => ({
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, randomBytes(16)),
      }),
      /at least 32 random bytes/,
    ],
    [
      'an all-zero secret',
      (dir) => ({
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, Buffer.alloc(64)),
      }),
      /at least 32 random bytes/,
    ],
    [
      'a folder as the secret file',
      (dir) => ({ WRIT_SIGNER_SOCKET: join(dir, 's.sock'), WRIT_SIGNER_SECRET_FILE: dir }),
      /is not a file/,
    ],
  ])('refuses %s', (_, env, problem) => {
    const dir = workdir();
    const problems = serviceProblems({ WRIT_KEY_CUSTODY: 'signer-process', ...env(dir) }, dir);
    expect(problems.some((line) => problem.test(line))).toBe(true);
  });

  it('never puts the secret in a problem', () => {
    const dir = workdir();
    const secret = Buffer.from('A'.repeat(40));
    const problems = serviceProblems(
      {
        WRIT_KEY_CUSTODY: 'signer-process',
        WRIT_SIGNER_SOCKET: join(dir, 's.sock'),
        WRIT_SIGNER_SECRET_FILE: secretFile(dir, secret, 0o644),
      },
      dir,
    );
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join('\n')).not.toContain('AAAA');
  });

  it('refuses signer settings without WRIT_KEY_CUSTODY=signer-process (the keys would not be where you think)', () => {
    const dir = workdir();
    expect(serviceProblems({ WRIT_SIGNER_SOCKET: join(dir, 's.sock') }, dir)).toContain(
      'WRIT_SIGNER_SOCKET and WRIT_SIGNER_SECRET_FILE need WRIT_KEY_CUSTODY=signer-process',
    );
    expect(loadConfig({ env: {}, cwd: dir, warn: () => {} }).signerProcess).toBeUndefined();
  });
});

describe('writ signer configuration', () => {
  const signerEnv = (dir: string, env: Record<string, string> = {}) => ({
    WRIT_SIGNER_SOCKET: join(dir, 'run', 'signer.sock'),
    WRIT_SIGNER_SECRET_FILE: secretFile(dir),
    WRIT_SIGNER_MASTER_KEY: randomBytes(32).toString('base64url'),
    ...env,
  });

  it('reads the socket, the secret, its own master key and its data folder', () => {
    const dir = workdir();
    const config = loadSignerProcessConfig(signerEnv(dir), dir);
    expect(config.dataDir).toBe(join(dir, '.writ-signer'));
    expect(config.masterKey).toHaveLength(32);
  });

  it.each<[string, Record<string, string>, RegExp]>([
    ['no master key', { WRIT_SIGNER_MASTER_KEY: '' }, /WRIT_SIGNER_MASTER_KEY is required/],
    [
      'a short master key',
      { WRIT_SIGNER_MASTER_KEY: randomBytes(16).toString('base64url') },
      /WRIT_SIGNER_MASTER_KEY must be 32 random bytes/,
    ],
    [
      'an all-zero master key',
      { WRIT_SIGNER_MASTER_KEY: Buffer.alloc(32).toString('base64url') },
      /WRIT_SIGNER_MASTER_KEY looks made up/,
    ],
  ])('refuses %s', (_, env, problem) => {
    const dir = workdir();
    const problems = problemsOf(() => loadSignerProcessConfig(signerEnv(dir, env), dir));
    expect(problems.some((line) => problem.test(line))).toBe(true);
  });

  it("refuses the service's master key as its own", () => {
    const dir = workdir();
    const key = randomBytes(32).toString('base64url');
    const problems = problemsOf(() =>
      loadSignerProcessConfig(
        signerEnv(dir, { WRIT_SIGNER_MASTER_KEY: key, WRIT_MASTER_KEY: key }),
        dir,
      ),
    );
    expect(problems).toContain("WRIT_SIGNER_MASTER_KEY must not be the service's WRIT_MASTER_KEY");
  });

  it('refuses a secret file others can read, like the service does', () => {
    const dir = workdir();
    const problems = problemsOf(() =>
      loadSignerProcessConfig(
        signerEnv(dir, { WRIT_SIGNER_SECRET_FILE: secretFile(dir, randomBytes(32), 0o644) }),
        dir,
      ),
    );
    expect(problems.some((line) => /open to other users/.test(line))).toBe(true);
  });
});
