import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LoopbackListener, listenOnLoopback } from '../../../test/support/loopback.ts';
import { readJwksFile } from '../src/jwks-file.ts';
import { redactUserinfo } from '../src/redact.ts';
import { type InspectIo, runInspect } from '../src/run-inspect.ts';
import { maxStdinBytes } from '../src/stdin.ts';

const b64json = (value: unknown): string =>
  Buffer.from(JSON.stringify(value)).toString('base64url');
const nowSec = Math.floor(Date.now() / 1000);
const token = `${b64json({ alg: 'EdDSA', typ: 'at+jwt', kid: 'k' })}.${b64json({
  iss: 'https://alice:s3cret-pass@auth.writ.test',
  sub: 'usr_1',
  aud: 'https://api.writ.test',
  iat: nowSec,
  exp: nowSec + 300,
  jti: 'jti-limits-1',
})}.${Buffer.alloc(64, 7).toString('base64url')}`;

async function inspect(argv: readonly string[], stdin?: InspectIo['stdin']) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runInspect(argv, {
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    ...(stdin === undefined ? {} : { stdin }),
  });
  return { code, stdout: out.join('\n'), stderr: err.join('\n') };
}

/** Runs a command with /dev/zero as stdin; resolves with its exit code and stderr, or 'killed'. */
function runOnDevZero(
  args: readonly string[],
): Promise<{ code: number | 'killed'; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    const zero = spawn('cat', ['/dev/zero'], { stdio: ['ignore', child.stdin, 'ignore'] });
    let stderr = '';
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      zero.kill();
      done({ code: code ?? 'killed', stderr });
    });
  });
}

const repositoryRoot = resolve(import.meta.dirname, '../../..');

describe('stdin is read up to a cap', () => {
  it('refuses an endless stdin after the cap, having pulled no more than that', async () => {
    let pulled = 0;
    async function* endless(): AsyncGenerator<Uint8Array> {
      for (;;) {
        pulled += 4096;
        yield new Uint8Array(4096).fill(0x41);
      }
    }
    const { code, stderr } = await inspect(['-'], endless());
    expect(code).toBe(2);
    expect(stderr).toContain(`stdin holds more than ${maxStdinBytes} bytes`);
    expect(pulled).toBeLessThanOrEqual(maxStdinBytes + 4096);
  });

  it('takes a token of up to the cap', async () => {
    const padded = `${token}${' '.repeat(maxStdinBytes - token.length)}`;
    async function* once(): AsyncGenerator<string> {
      yield padded;
    }
    expect((await inspect(['-'], once())).code).toBe(0);
  });

  it.each([
    ['writ-inspect', [join(repositoryRoot, 'packages/inspect/src/cli.ts'), '-']],
    ['writ inspect', [join(repositoryRoot, 'packages/server/src/cli/main.ts'), 'inspect', '-']],
  ])(
    '%s - < /dev/zero exits 2 at once instead of filling memory',
    async (_name, args) => {
      const { code, stderr } = await runOnDevZero(args);
      expect(code).toBe(2);
      expect(stderr).toContain(`stdin holds more than ${maxStdinBytes} bytes`);
    },
    15_000,
  );
});

describe('--jwks files', () => {
  let directory: string;
  beforeAll(async () => {
    directory = await mkdtemp(join(tmpdir(), 'writ-inspect-limits-'));
  });
  afterAll(async () => {
    await rm(directory, { recursive: true, force: true });
  });

  it('refuses a device without reading it', async () => {
    const result = await readJwksFile('/dev/zero');
    expect(result).toMatchObject({ ok: false, error: { code: 'jwks_not_regular_file' } });
    const { code, stdout } = await inspect([token, '--jwks', '/dev/zero']);
    expect(code).toBe(1);
    expect(stdout).toContain('/dev/zero is not a regular file');
  });

  it('refuses a named pipe no one writes to, without waiting for a writer', async () => {
    const fifo = join(directory, 'keys.fifo');
    execFileSync('mkfifo', [fifo]);
    expect(await readJwksFile(fifo)).toMatchObject({
      ok: false,
      error: { code: 'jwks_not_regular_file' },
    });
  });

  it('refuses a directory', async () => {
    expect(await readJwksFile(directory)).toMatchObject({
      ok: false,
      error: { code: 'jwks_not_regular_file' },
    });
  });

  it('refuses a regular file past the cap, reading no more than the cap', async () => {
    const big = join(directory, 'big.json');
    await writeFile(big, JSON.stringify({ keys: [], pad: 'x'.repeat(200) }));
    const result = await readJwksFile(big, 100);
    expect(result).toMatchObject({ ok: false, error: { code: 'jwks_file_too_large' } });
    if (!result.ok) expect(result.error.message).toBe(`${big} is larger than 100 bytes`);
    expect(await readJwksFile(big, 1000)).toMatchObject({ ok: true });
  });
});

describe('URL credentials are never printed', () => {
  let server: LoopbackListener;
  let port: number;
  beforeAll(async () => {
    server = await listenOnLoopback((req, res) => {
      if (req.url === '/html/.well-known/oauth-authorization-server') {
        // A captive portal or an error page: JSON-looking, but not served as JSON.
        res.writeHead(200, { 'content-type': 'text/html' });
        res.end(JSON.stringify({ issuer: `http://127.0.0.1:${port}/html`, jwks_uri: 'x' }));
      } else res.writeHead(500).end();
    });
    port = server.port;
  });
  afterAll(() => server.close());

  it.each<[string, () => string[]]>([
    ['the token', () => [token]],
    ['the token, --json', () => [token, '--json']],
    ['--jwks', () => [token, '--jwks', `http://bob:s3cret-pass@127.0.0.1:${port}/jwks.json`]],
    [
      '--jwks, --json',
      () => [token, '--jwks', 'https://bob:s3cret-pass@keys.writ.test/j', '--json'],
    ],
    ['--issuer', () => [token, '--issuer', `http://bob:s3cret-pass@127.0.0.1:${port}`]],
    ['a usage error', () => ['--jwks']],
  ])('%s', async (_name, argv) => {
    const { stdout, stderr } = await inspect(argv());
    expect(`${stdout}\n${stderr}`).not.toMatch(/s3cret-pass|alice|bob/);
  });

  it('refuses issuer metadata not served as JSON', async () => {
    const issuer = `http://127.0.0.1:${port}/html`;
    const { code, report } = await inspect([token, '--issuer', issuer, '--json']).then((run) => ({
      code: run.code,
      report: JSON.parse(run.stdout) as { verification: { reason: string; detail: string } },
    }));
    expect(code).toBe(1);
    expect(report.verification.reason).toBe('metadata_unavailable');
    expect(report.verification.detail).toContain('its content type is not application/json');
  });

  it('keeps the rest of the URL', () => {
    expect(redactUserinfo('"https://a:b@c@host.test/p?q=x@y" and http://u@h')).toBe(
      '"https://***@host.test/p?q=x@y" and http://***@h',
    );
    expect(redactUserinfo('{"iss":"https://x:y@h","aud":"https://h2"}')).toBe(
      '{"iss":"https://***@h","aud":"https://h2"}',
    );
  });
});
