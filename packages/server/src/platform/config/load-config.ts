import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { join, resolve } from 'node:path';
import { Policy } from '@writ/core';
import { WritError } from '../errors.ts';
import { isHttpsOrLoopbackUrl, isLoopbackListenHost, urlHostOf } from '../url.ts';
import type { ServiceConfig, TrustedProxies } from './config.ts';
import { keySettings } from './key-settings.ts';
import { randomKeyFrom } from './random-key.ts';
import { signerProcessSettings } from './signer-settings.ts';

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
  requestTimeoutSec: 'WRIT_REQUEST_TIMEOUT',
  maxConnections: 'WRIT_MAX_CONNECTIONS',
  dynamicClientRegistration: 'WRIT_DYNAMIC_CLIENT_REGISTRATION',
  signingAlgorithms: 'WRIT_SIGNING_ALGORITHMS',
  audienceAlgorithms: 'WRIT_AUDIENCE_ALGORITHMS',
  keyRotationDays: 'WRIT_KEY_ROTATION_DAYS',
  keyRotationSec: 'WRIT_KEY_ROTATION_SEC',
  keyCustody: 'WRIT_KEY_CUSTODY',
  signerSocket: 'WRIT_SIGNER_SOCKET',
  signerSecretFile: 'WRIT_SIGNER_SECRET_FILE',
} as const;

type SettingName = keyof typeof settings;

function readFileSettings(
  path: string,
  problems: string[],
  /** Named by WRIT_CONFIG: a file the operator asked for must exist (a typo must not mean defaults). */
  required: boolean,
): Partial<Record<SettingName, unknown>> {
  if (!existsSync(path)) {
    if (required) problems.push(`WRIT_CONFIG names ${path}, which does not exist`);
    return {};
  }
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

/** Half the default `maxStalenessSec` of `@writ/verify`'s revocation mirror (30 s). */
const maxRevocationHeartbeatSec = 15;

/** Hop counts past this describe no real deployment; a typo more likely. */
const maxProxyHops = 10;
/** proxy-addr's names for whole address ranges, which Fastify's trustProxy understands. */
const proxyRangeNames = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(entry: string): boolean {
  if (proxyRangeNames.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || rest.length > 0) return false;
  if (prefix === undefined) return true;
  const bits = Number(prefix);
  return /^\d{1,3}$/.test(prefix) && bits <= (version === 4 ? 32 : 128);
}

/**
 * `false` (the default), a hop count, or proxy addresses/CIDRs (a list, or comma-separated).
 * `true` is refused: trusting every hop believes the leftmost `X-Forwarded-For` entry, which
 * the client writes, so a client could pick its own address and dodge its sign-in throttle.
 */
function trustedProxies(raw: unknown, problems: string[]): TrustedProxies {
  if (raw === undefined || raw === '' || raw === false || raw === 'false') return { kind: 'none' };
  const refuse = (): TrustedProxies => {
    problems.push(
      `WRIT_TRUST_PROXY must be false, a hop count from 1 to ${maxProxyHops}, or your proxies' addresses/CIDRs (got ${JSON.stringify(raw)}; true is refused: it trusts the address the client writes)`,
    );
    return { kind: 'none' };
  };
  const text = typeof raw === 'number' ? String(raw) : raw;
  if (typeof text === 'string' && /^\d+$/.test(text.trim())) {
    const hops = Number(text);
    return hops >= 1 && hops <= maxProxyHops ? { kind: 'hops', hops } : refuse();
  }
  const entries =
    typeof text === 'string'
      ? text.split(',').map((entry) => entry.trim())
      : Array.isArray(text) && text.every((entry) => typeof entry === 'string')
        ? text.map((entry: string) => entry.trim())
        : undefined;
  if (entries === undefined || entries.length === 0 || !entries.every(isAddressOrCidr))
    return refuse();
  return { kind: 'addresses', addresses: entries };
}

/**
 * The data folder holds the database (sealed keys, session hashes) and, in development, the
 * master key: no one but the service's user may list or read it. An existing folder open to
 * others is refused rather than silently changed, since the operator chose its place.
 */
function checkDataDirPermissions(dataDir: string, problems: string[]): void {
  if (!existsSync(dataDir)) return;
  const mode = statSync(dataDir).mode & 0o777;
  if ((mode & 0o077) !== 0) {
    problems.push(
      `${dataDir} is readable by other users (mode ${mode.toString(8).padStart(4, '0')}); run: chmod 700 ${dataDir}`,
    );
  }
}

function loadMasterKey(
  raw: unknown,
  mode: ServiceConfig['mode'],
  dataDir: string,
  problems: string[],
  warn: (message: string) => void,
): Pick<ServiceConfig, 'masterKey' | 'masterKeySource'> {
  if (typeof raw === 'string' && raw !== '') {
    const { key, problem } = randomKeyFrom(raw, 'WRIT_MASTER_KEY');
    if (problem !== undefined) problems.push(problem);
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
  const file = readFileSettings(
    resolve(cwd, env.WRIT_CONFIG ?? 'writ.config.json'),
    problems,
    env.WRIT_CONFIG !== undefined,
  );
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
  if (mode === 'development' && !isLoopbackListenHost(host)) {
    // Development means a master key in a file and plain http: fine on this machine, never on a
    // network. Serving others is production, with its https issuer and managed master key.
    problems.push(
      `WRIT_HOST ${host} is not a loopback address: development mode listens on loopback only (set WRIT_MODE=production to serve a network)`,
    );
  }
  // The unspecified addresses listen everywhere; the default issuer names this machine.
  const issuerHost = host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '::1' : host;
  const issuer = String(get('issuer') ?? `http://${urlHostOf(issuerHost)}:${port}`);
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
    if (issuerUrl.protocol !== 'https:' && issuerUrl.protocol !== 'http:') {
      problems.push(`WRIT_ISSUER must be an https URL (got the scheme ${issuerUrl.protocol})`);
    } else if (issuerUrl.protocol !== 'https:' && mode === 'production') {
      problems.push('WRIT_ISSUER must use https outside development');
    } else if (!isHttpsOrLoopbackUrl(issuerUrl)) {
      problems.push('WRIT_ISSUER may use plain http only for a loopback host, even in development');
    }
  }
  const dataDir = resolve(cwd, String(get('dataDir') ?? '.writ'));
  checkDataDirPermissions(dataDir, problems);
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
  const trustProxy = trustedProxies(get('trustProxy'), problems);
  // Long enough for a 16 KiB body on a slow mobile link; short enough that a client trickling
  // bytes cannot hold a connection (and its memory) for minutes.
  const requestTimeoutSec = integer(
    get('requestTimeoutSec'),
    'WRIT_REQUEST_TIMEOUT',
    30,
    1,
    300,
    problems,
  );
  const maxConnections = integer(
    get('maxConnections'),
    'WRIT_MAX_CONNECTIONS',
    10_000,
    16,
    1_000_000,
    problems,
  );
  // A consumer counts as stale when it has heard nothing for its maxStalenessSec, and reports a
  // bound under two heartbeats as contradicting them. At most 15 s keeps two heartbeats inside the
  // consumers' default bound (30 s): a longer one would make every default consumer fail closed
  // whenever one heartbeat is late.
  const revocationHeartbeatSec = integer(
    get('revocationHeartbeatSec'),
    'WRIT_REVOCATION_HEARTBEAT',
    5,
    1,
    maxRevocationHeartbeatSec,
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
  if (maxConnections <= revocationStreamsTotal) {
    // Each stream holds a connection for as long as it lasts.
    problems.push('WRIT_MAX_CONNECTIONS must exceed WRIT_REVOCATION_STREAMS_TOTAL');
  }
  // Off unless asked for in so many words: an open registration endpoint is an attack surface.
  const dynamicRegistrationRaw = get('dynamicClientRegistration') ?? false;
  if (![true, false, 'true', 'false'].includes(dynamicRegistrationRaw as string | boolean)) {
    problems.push('WRIT_DYNAMIC_CLIENT_REGISTRATION must be true or false');
  }
  const dynamicClientRegistration =
    dynamicRegistrationRaw === true || dynamicRegistrationRaw === 'true';
  const masterKey = loadMasterKey(get('masterKey'), mode, dataDir, problems, sources.warn);
  const keys = keySettings(
    {
      signingAlgorithms: get('signingAlgorithms'),
      audienceAlgorithms: get('audienceAlgorithms'),
      keyRotationDays: get('keyRotationDays'),
      keyRotationSec: get('keyRotationSec'),
      keyCustody: get('keyCustody'),
    },
    mode,
    problems,
    sources.warn,
  );
  const signerProcess = signerProcessSettings(
    keys.keyCustody,
    { socket: get('signerSocket'), secretFile: get('signerSecretFile') },
    problems,
  );

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
    trustProxy,
    requestTimeoutSec,
    maxConnections,
    dynamicClientRegistration,
    ...keys,
    signerProcess,
  };
}
