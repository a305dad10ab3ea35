import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Policy } from '@writ/core';
import { WritError } from '../errors.ts';
import { isLoopbackHostname } from '../url.ts';
import type { ServiceConfig } from './config.ts';

/** Every mistake found, one line each, so an operator can fix them all in one go. */
export class ConfigError extends WritError<'ERR_CONFIG_INVALID'> {
  override readonly name = 'ConfigError';
  readonly code = 'ERR_CONFIG_INVALID';
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.problems = problems;
  }
}

export interface ConfigSources {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  /** Told about choices an operator should know of (development master key). */
  readonly warn: (message: string) => void;
}

/** Option names as they appear in `writ.config.json` and, upper-snake-cased with `WRIT_`, in the environment. */
const settings = {
  mode: 'WRIT_MODE',
  issuer: 'WRIT_ISSUER',
  host: 'WRIT_HOST',
  port: 'WRIT_PORT',
  dataDir: 'WRIT_DATA_DIR',
  databaseUrl: 'WRIT_DATABASE_URL',
  masterKey: 'WRIT_MASTER_KEY',
  audience: 'WRIT_AUDIENCE',
  accessTokenTtlSec: 'WRIT_ACCESS_TOKEN_TTL',
  sessionIdleTtlSec: 'WRIT_SESSION_IDLE_TTL',
  sessionAbsoluteTtlSec: 'WRIT_SESSION_ABSOLUTE_TTL',
  cookieSameSite: 'WRIT_COOKIE_SAMESITE',
  revocationHeartbeatSec: 'WRIT_REVOCATION_HEARTBEAT',
  revocationStreamsPerConsumer: 'WRIT_REVOCATION_STREAMS_PER_CONSUMER',
  revocationStreamsTotal: 'WRIT_REVOCATION_STREAMS_TOTAL',
  trustProxy: 'WRIT_TRUST_PROXY',
} as const;

type SettingName = keyof typeof settings;

function readFileSettings(path: string, problems: string[]): Partial<Record<SettingName, unknown>> {
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    problems.push(`${path} is not valid JSON`);
    return {};
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    problems.push(`${path} must hold a JSON object`);
    return {};
  }
  for (const key of Object.keys(parsed)) {
    if (!(key in settings)) problems.push(`${path}: unknown setting "${key}"`);
    if (key === 'masterKey')
      problems.push(`${path}: masterKey belongs in WRIT_MASTER_KEY, never in a file`);
  }
  return parsed as Partial<Record<SettingName, unknown>>;
}

function integer(
  raw: unknown,
  name: string,
  fallback: number,
  min: number,
  max: number,
  problems: string[],
): number {
  if (raw === undefined || raw === '') return fallback;
  const value = typeof raw === 'number' ? raw : Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    problems.push(
      `${name} must be a whole number from ${min} to ${max} (got ${JSON.stringify(raw)})`,
    );
    return fallback;
  }
  return value;
}

function loadMasterKey(
  raw: unknown,
  mode: ServiceConfig['mode'],
  dataDir: string,
  problems: string[],
  warn: (message: string) => void,
): Pick<ServiceConfig, 'masterKey' | 'masterKeySource'> {
  if (typeof raw === 'string' && raw !== '') {
    const key = Buffer.from(raw, 'base64url');
    if (key.length !== 32 || key.toString('base64url') !== raw.replace(/=+$/, '')) {
      problems.push('WRIT_MASTER_KEY must be 32 random bytes in base64url (try: writ master-key)');
    }
    return { masterKey: key, masterKeySource: 'environment' };
  }
  if (mode === 'production') {
    problems.push(
      'WRIT_MASTER_KEY is required outside development (generate one with: writ master-key)',
    );
    return { masterKey: new Uint8Array(32), masterKeySource: 'environment' };
  }
  const path = join(dataDir, 'master.key');
  if (!existsSync(path)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    writeFileSync(path, randomBytes(32).toString('base64url'), { mode: 0o600, flag: 'wx' });
  }
  chmodSync(path, 0o600);
  warn(
    `development master key in ${path} (mode 0600); set WRIT_MASTER_KEY from a secret store in production`,
  );
  return {
    masterKey: Buffer.from(readFileSync(path, 'utf8').trim(), 'base64url'),
    masterKeySource: 'development-file',
  };
}

/**
 * Builds the configuration from defaults, then `writ.config.json` (or `WRIT_CONFIG`), then the
 * environment. Throws `ConfigError` listing every problem.
 */
export function loadConfig(sources: ConfigSources): ServiceConfig {
  const problems: string[] = [];
  const { env, cwd } = sources;
  const file = readFileSettings(resolve(cwd, env.WRIT_CONFIG ?? 'writ.config.json'), problems);
  const get = (name: SettingName): unknown => env[settings[name]] ?? file[name];

  const modeRaw = get('mode') ?? 'development';
  if (modeRaw !== 'development' && modeRaw !== 'production') {
    problems.push(
      `WRIT_MODE must be "development" or "production" (got ${JSON.stringify(modeRaw)})`,
    );
  }
  const mode = modeRaw === 'production' ? 'production' : 'development';
  const host = String(get('host') ?? '127.0.0.1');
  const port = integer(get('port'), 'WRIT_PORT', 4000, 0, 65535, problems);
  const issuer = String(
    get('issuer') ?? `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`,
  );
  let issuerUrl: URL | undefined;
  try {
    issuerUrl = new URL(issuer);
  } catch {
    problems.push(`WRIT_ISSUER must be an absolute URL (got ${JSON.stringify(issuer)})`);
  }
  if (issuerUrl !== undefined) {
    if (issuerUrl.search !== '' || issuerUrl.hash !== '' || issuerUrl.username !== '') {
      problems.push('WRIT_ISSUER must not have a query, fragment or credentials');
    }
    // Consumers compare `iss` exactly, so the service never rewrites it: refuse the ambiguous form.
    if (issuer.endsWith('/')) problems.push('WRIT_ISSUER must not end with "/"');
    if (issuerUrl.protocol !== 'https:' && mode === 'production') {
      problems.push('WRIT_ISSUER must use https outside development');
    }
    if (issuerUrl.protocol === 'http:' && !isLoopbackHostname(issuerUrl.hostname)) {
      problems.push('WRIT_ISSUER may use plain http only for a loopback host, even in development');
    }
  }
  const dataDir = resolve(cwd, String(get('dataDir') ?? '.writ'));
  const databaseUrl = String(get('databaseUrl') ?? `sqlite:${join(dataDir, 'writ.db')}`);
  if (!databaseUrl.startsWith('sqlite:')) {
    problems.push(
      'WRIT_DATABASE_URL must be sqlite:<path> (PostgreSQL arrives with the scale-out work)',
    );
  }
  const accessTokenTtlSec = integer(
    get('accessTokenTtlSec'),
    'WRIT_ACCESS_TOKEN_TTL',
    Policy.accessTokenDefaultLifetimeSec,
    30,
    Policy.accessTokenMaxLifetimeSec,
    problems,
  );
  const sessionIdleTtlSec = integer(
    get('sessionIdleTtlSec'),
    'WRIT_SESSION_IDLE_TTL',
    14 * 86400,
    300,
    365 * 86400,
    problems,
  );
  const sessionAbsoluteTtlSec = integer(
    get('sessionAbsoluteTtlSec'),
    'WRIT_SESSION_ABSOLUTE_TTL',
    30 * 86400,
    300,
    365 * 86400,
    problems,
  );
  if (sessionAbsoluteTtlSec < sessionIdleTtlSec) {
    problems.push('WRIT_SESSION_ABSOLUTE_TTL must not be shorter than WRIT_SESSION_IDLE_TTL');
  }
  const sameSite = String(get('cookieSameSite') ?? 'Strict');
  if (sameSite !== 'Strict' && sameSite !== 'Lax') {
    problems.push('WRIT_COOKIE_SAMESITE must be Strict or Lax');
  }
  const audience = String(get('audience') ?? 'writ:api');
  if (audience === '') problems.push('WRIT_AUDIENCE must not be empty');
  const trustProxyRaw = String(get('trustProxy') ?? 'false');
  if (trustProxyRaw !== 'true' && trustProxyRaw !== 'false')
    problems.push('WRIT_TRUST_PROXY must be true or false');
  const revocationHeartbeatSec = integer(
    get('revocationHeartbeatSec'),
    'WRIT_REVOCATION_HEARTBEAT',
    5,
    1,
    60,
    problems,
  );
  // A consumer needs one stream per process that verifies; a few spare cover restarts that
  // overlap. Each stream holds a socket and a timer, so the total bounds what the service commits.
  const revocationStreamsPerConsumer = integer(
    get('revocationStreamsPerConsumer'),
    'WRIT_REVOCATION_STREAMS_PER_CONSUMER',
    8,
    1,
    1000,
    problems,
  );
  const revocationStreamsTotal = integer(
    get('revocationStreamsTotal'),
    'WRIT_REVOCATION_STREAMS_TOTAL',
    1000,
    1,
    100_000,
    problems,
  );
  const masterKey = loadMasterKey(get('masterKey'), mode, dataDir, problems, sources.warn);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    mode,
    issuer,
    host,
    port,
    dataDir,
    databaseUrl,
    ...masterKey,
    audience,
    accessTokenTtlSec,
    sessionIdleTtlSec,
    sessionAbsoluteTtlSec,
    cookieSameSite: sameSite === 'Lax' ? 'Lax' : 'Strict',
    revocationHeartbeatSec,
    revocationStreamsPerConsumer,
    revocationStreamsTotal,
    trustProxy: trustProxyRaw === 'true',
  };
}
