import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type JwksServer, startJwksServer } from '../../../test/support/jwks-server.ts';
import { ed25519, type SigningKey } from '../../../test/support/keys.ts';
import { freePort } from '../../../test/support/loopback.ts';
import { startDevIssuer } from '../scripts/dev-issuer.ts';
import { buildApp } from '../src/app.ts';
import { type Config, type Environment, readConfig } from '../src/config.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const issuer = 'https://auth.writ.test';
const audience = 'https://api.writ.test';
const kid = 'test-key-1';

// ---------------------------------------------------------------------------------------------
// A local issuer: an Ed25519 key whose public half is served as a JWKS on 127.0.0.1.

let signingKey: SigningKey;
let foreignKey: SigningKey; // same kid, never published: an attacker's key
let jwksServer: JwksServer;
let jwksUri: string;

function sign(claims: Record<string, unknown> = {}, key: SigningKey = signingKey): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({
    iss: issuer,
    sub: 'user-7f3a',
    aud: audience,
    iat: now,
    nbf: now,
    exp: now + 300,
    jti: randomUUID(),
    scope: 'profile:read orders:write',
    ...claims,
  })
    .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', kid })
    .sign(key.privateKey);
}

/** The same signature over a payload whose `sub` was changed. */
function tamper(token: string): string {
  const [header, payload, signature] = token.split('.');
  const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8'));
  const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');
  return `${header}.${forged}.${signature}`;
}

/** Tokens that must all get the same 401, whatever is wrong with them. */
async function badTokens(valid: string): Promise<Record<string, string>> {
  const now = Math.floor(Date.now() / 1000);
  return {
    tampered: tamper(valid),
    'foreign key with a known kid': await sign({}, foreignKey),
    'wrong audience': await sign({ aud: 'https://other.writ.test' }),
    expired: await sign({ iat: now - 7200, nbf: now - 7200, exp: now - 3600 }),
    'not a JWT': 'not-a-token',
  };
}

beforeAll(async () => {
  [signingKey, foreignKey] = await Promise.all([ed25519(kid), ed25519(kid)]);
  jwksServer = await startJwksServer({
    body: { keys: [signingKey.publicJwk] },
    cacheControl: 'max-age=300',
  });
  jwksUri = jwksServer.url;
});

afterAll(async () => {
  await jwksServer.close();
});

// ---------------------------------------------------------------------------------------------
// The real process, started the way the README says.

interface Started {
  readonly child: ChildProcess;
  readonly output: { stdout: string; stderr: string };
  /** Resolves once the process tree has exited and closed its output. */
  readonly closed: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** The test's environment minus anything that would configure the server or npm's workspace. */
function childEnv(variables: Environment): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (/^(WRIT_|PORT$|HOST$|LOG_LEVEL$|npm_config_workspace)/i.test(name)) continue;
    env[name] = value;
  }
  return { ...env, npm_config_update_notifier: 'false', ...variables };
}

function startServer(variables: Environment): Started {
  // Its own process group (npm → sh → node), so the whole tree can be signalled at once.
  const child = spawn('npm', ['start', '-w', 'examples/resource-server'], {
    cwd: repoRoot,
    env: childEnv(variables),
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output = { stdout: '', stderr: '' };
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    output.stdout += chunk;
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    output.stderr += chunk;
  });
  const closed = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code, signal) => resolve({ code, signal }));
    },
  );
  return { child, output, closed };
}

function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/** The server's own pid (npm → sh → node), from the `pid` pino puts on every log line. */
function serverPid(started: Started): number | undefined {
  const match = /"pid":(\d+)/.exec(started.output.stdout);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * Stops the server the way an operator would: SIGTERM to the node process, which closes and
 * exits, so sh and then npm exit in turn and every process is reaped by its parent. (Signalling
 * the whole group instead kills sh first and leaves node an orphan for a moment.) If that does
 * not work within `graceMs`, the whole group gets SIGKILL.
 */
async function stopServer(started: Started, graceMs = 5000): Promise<void> {
  const pgid = started.child.pid;
  if (pgid === undefined || !groupAlive(pgid)) return;
  const pid = serverPid(started);
  process.kill(pid ?? -pgid, 'SIGTERM');
  const timedOut = Symbol('timeout');
  const outcome = await Promise.race([started.closed, sleep(graceMs, timedOut)]);
  if (outcome === timedOut && groupAlive(pgid)) {
    process.kill(-pgid, 'SIGKILL');
    await started.closed;
  }
}

async function waitForHealth(base: string, started: Started, timeoutMs = 10_000): Promise<void> {
  let exited = false;
  void started.closed.then(
    () => {
      exited = true;
    },
    () => {
      exited = true;
    },
  );
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exited) throw new Error(`the server exited early:\n${started.output.stderr}`);
    try {
      const response = await fetch(`${base}/health`);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await sleep(50);
  }
  throw new Error(`the server did not answer /health in time:\n${started.output.stderr}`);
}

function get(url: string, token?: string): Promise<Response> {
  return fetch(url, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });
}

describe('npm start -w examples/resource-server', () => {
  let started: Started;
  let base: string;
  let valid: string;

  beforeAll(async () => {
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    valid = await sign();
    started = startServer({
      WRIT_ISSUER: issuer,
      WRIT_AUDIENCE: audience,
      WRIT_JWKS_URI: jwksUri,
      PORT: String(port),
    });
    await waitForHealth(base, started);
  });

  afterAll(async () => {
    await stopServer(started);
  });

  it('answers /health without a token', async () => {
    const response = await get(`${base}/health`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('answers /me with the subject and scope of a valid token', async () => {
    const response = await get(`${base}/me`, valid);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ sub: 'user-7f3a', scope: 'profile:read orders:write' });
  });

  it('refuses every bad token with the same 401 invalid_token', async () => {
    const answers = new Set<string>();
    for (const [name, token] of Object.entries(await badTokens(valid))) {
      const response = await get(`${base}/me`, token);
      const body = await response.text();
      expect(response.status, name).toBe(401);
      expect(response.headers.get('www-authenticate'), name).toBe('Bearer error="invalid_token"');
      answers.add(body);
    }
    expect(answers.size).toBe(1);
  });

  it('answers a request without a token with a 401 challenge that names no error', async () => {
    const response = await get(`${base}/me`);
    expect(response.status).toBe(401);
    const challenge = response.headers.get('www-authenticate');
    expect(challenge).toMatch(/^Bearer\b/);
    expect(challenge).not.toContain('error=');
  });

  it('refuses a token in the query string with 400', async () => {
    const response = await get(`${base}/me?access_token=${valid}`);
    expect(response.status).toBe(400);
    expect(response.headers.get('www-authenticate')).toBe('Bearer error="invalid_request"');
    expect(await response.text()).not.toContain(valid);
  });

  it('shuts down on SIGTERM, leaving no process behind, and never logged a token', async () => {
    const pgid = started.child.pid ?? 0;
    expect(serverPid(started)).toBeDefined();
    await stopServer(started);
    // npm exits 0 only if the server closed and exited 0 by itself.
    expect(await started.closed).toEqual({ code: 0, signal: null });
    expect(groupAlive(pgid)).toBe(false);
    await expect(fetch(`${base}/health`)).rejects.toThrow();
    const { stdout } = started.output;
    expect(stdout).toContain('"msg":"shutting down"');
    expect(stdout).toContain('"reason":"bad_signature"');
    expect(stdout).not.toContain(valid.split('.')[2]);
  });
});

describe.concurrent('start-up configuration errors', () => {
  it('refuses a plain-http key set URL on a public host', async () => {
    const started = startServer({
      WRIT_ISSUER: issuer,
      WRIT_AUDIENCE: audience,
      WRIT_JWKS_URI: 'http://example.com/jwks',
      PORT: String(await freePort()),
    });
    const { code } = await started.closed;
    expect(code).not.toBe(0);
    expect(started.output.stderr).toMatch(/WRIT_JWKS_URI.*https/);
  });

  it('names every missing variable', async () => {
    const started = startServer({});
    const { code } = await started.closed;
    expect(code).not.toBe(0);
    for (const name of ['WRIT_ISSUER', 'WRIT_AUDIENCE', 'WRIT_JWKS_URI']) {
      expect(started.output.stderr).toContain(`${name} is not set`);
    }
  });
});

// ---------------------------------------------------------------------------------------------
// In-process: configuration parsing, and what reaches the logs.

describe('readConfig', () => {
  const complete = {
    WRIT_ISSUER: issuer,
    WRIT_AUDIENCE: audience,
    WRIT_JWKS_URI: 'https://auth.writ.test/jwks',
  };

  it('applies the defaults', () => {
    expect(readConfig(complete)).toEqual({
      ok: true,
      config: {
        issuer,
        audience,
        jwksUri: 'https://auth.writ.test/jwks',
        host: '127.0.0.1',
        port: 4001,
        logLevel: 'info',
      },
    });
  });

  it('allows plain http on loopback only', () => {
    expect(readConfig({ ...complete, WRIT_JWKS_URI: 'http://localhost:4000/jwks' }).ok).toBe(true);
    expect(readConfig({ ...complete, WRIT_JWKS_URI: 'http://10.0.0.1/jwks' })).toEqual({
      ok: false,
      errors: [
        'WRIT_JWKS_URI is not acceptable: jwksUri must use https (plain http is allowed only for loopback hosts)',
      ],
    });
  });

  it('reports every mistake, one line each', () => {
    const result = readConfig({ WRIT_JWKS_URI: 'not a url', PORT: '80a', LOG_LEVEL: 'loud' });
    expect(result.ok).toBe(false);
    const errors = result.ok ? [] : result.errors;
    expect(errors).toHaveLength(5);
    expect(errors.join('\n')).toMatch(/WRIT_ISSUER is not set/);
    expect(errors.join('\n')).toMatch(/WRIT_AUDIENCE is not set/);
    expect(errors.join('\n')).toMatch(/PORT must be an integer/);
    expect(errors.join('\n')).toMatch(/LOG_LEVEL must be one of/);
    expect(errors.join('\n')).toMatch(/WRIT_JWKS_URI is not acceptable: .*absolute URL/);
    for (const error of errors) expect(error).not.toContain('\n');
  });
});

describe('buildApp', () => {
  function testConfig(overrides: Partial<Config> = {}): Config {
    return {
      issuer,
      audience,
      jwksUri,
      host: '127.0.0.1',
      port: 0,
      revocations: undefined,
      logLevel: 'info',
      ...overrides,
    };
  }

  // Served over a real socket, not with app.inject(): @writ/verify's Fastify adapter reads
  // `request.raw.headersDistinct`, which inject's simulated request does not have.
  async function serve(app: FastifyInstance): Promise<string> {
    return app.listen({ host: '127.0.0.1', port: 0 });
  }

  it('never writes a token to the logs', async () => {
    const lines: string[] = [];
    const app = buildApp(testConfig(), { logStream: { write: (line) => lines.push(line) } });
    const valid = await sign();
    const forged = tamper(valid);
    try {
      const base = await serve(app);
      expect((await get(`${base}/me`, valid)).status).toBe(200);
      expect((await get(`${base}/me?access_token=${valid}`)).status).toBe(400);
      expect((await get(`${base}/health?token=${valid}`)).status).toBe(200);
      const unknown = await get(`${base}/nowhere?id_token=${valid}`);
      expect(unknown.status).toBe(404);
      expect(await unknown.text()).not.toContain(valid);
      expect((await get(`${base}/me`, forged)).status).toBe(401);
    } finally {
      await app.close();
    }
    const log = lines.join('');
    expect(log).toContain('"url":"/health"');
    expect(log).toContain('"url":"/nowhere"');
    expect(log).toContain('"reason":"bad_signature"');
    expect(log.toLowerCase()).not.toContain('authorization');
    for (const token of [valid, forged]) {
      for (const segment of token.split('.')) expect(log).not.toContain(segment);
    }
  });

  it('accepts the tokens of the development issuer', async () => {
    const devIssuer = await startDevIssuer({ port: 0, audience, scope: 'profile:read' });
    const app = buildApp(
      testConfig({ issuer: devIssuer.issuer, jwksUri: devIssuer.jwksUri, logLevel: 'silent' }),
    );
    try {
      const token = await devIssuer.mint('dev-user');
      const [header] = token.split('.');
      expect(JSON.parse(Buffer.from(header ?? '', 'base64url').toString())).toMatchObject({
        alg: 'EdDSA',
        typ: 'at+jwt',
      });
      const response = await get(`${await serve(app)}/me`, token);
      expect(response.status).toBe(200);
      expect(await response.json()).toEqual({ sub: 'dev-user', scope: 'profile:read' });
    } finally {
      await app.close();
      await devIssuer.close();
    }
  });
});
