import { ConfigurationError, createVerifier } from '@writ/verify';

/** Everything the resource server needs, read from the environment once at start-up. */
export interface Config {
  /** Expected `iss` of every token (`WRIT_ISSUER`). */
  readonly issuer: string;
  /** This API's identifier; a token's `aud` must contain it (`WRIT_AUDIENCE`). */
  readonly audience: string;
  /** Where the issuer publishes its keys (`WRIT_JWKS_URI`): https, or http on loopback only. */
  readonly jwksUri: string;
  /** Interface to listen on (`HOST`, default 127.0.0.1). */
  readonly host: string;
  /** Port to listen on (`PORT`, default 4001; 0 picks a free one). */
  readonly port: number;
  /** Pino log level (`LOG_LEVEL`, default info). */
  readonly logLevel: LogLevel;
  /**
   * The token service's revocation log, mirrored in memory so signed-out tokens are refused
   * within a second (`WRIT_REVOCATIONS_URI` + `WRIT_CONSUMER_KEY`, optional as a pair).
   */
  readonly revocations:
    | { readonly uri: string; readonly credentials: string; readonly maxStalenessSec: number }
    | undefined;
}

export type ConfigResult =
  | { readonly ok: true; readonly config: Config }
  | { readonly ok: false; readonly errors: readonly string[] };

export type Environment = Readonly<Record<string, string | undefined>>;

const logLevels = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof logLevels)[number];

const defaultPort = 4001;
const defaultHost = '127.0.0.1';

/** The variables without a default, with a hint shown when one is missing. */
const required = {
  WRIT_ISSUER: 'the issuer every token must name in `iss`, e.g. https://auth.example.com',
  WRIT_AUDIENCE: 'this API’s identifier, which `aud` must contain, e.g. https://api.example.com',
  WRIT_JWKS_URI: 'the issuer’s key set URL, e.g. https://auth.example.com/.well-known/jwks.json',
} as const;

/** Which variable feeds each verifier option, to name it in the verifier's own error messages. */
const variableForOption: ReadonlyArray<readonly [option: string, variable: string]> = [
  ['jwksUri', 'WRIT_JWKS_URI'],
  ['issuer', 'WRIT_ISSUER'],
  ['audience', 'WRIT_AUDIENCE'],
];

function isLogLevel(value: string): value is LogLevel {
  return (logLevels as readonly string[]).includes(value);
}

function readPort(value: string | undefined, errors: string[]): number {
  if (value === undefined || value.trim() === '') return defaultPort;
  const port = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(port) || port > 65_535) {
    errors.push(`PORT must be an integer from 0 to 65535, got ${JSON.stringify(value)}`);
  }
  return port;
}

/**
 * Lets `@writ/verify` judge the issuer, audience and key set URL, so its rules (https, loopback
 * exception, no credentials in the URL) are applied exactly once, by the library. Building a
 * verifier touches no network: keys are fetched on the first request.
 */
function verifierRefusal(issuer: string, audience: string, jwksUri: string): string | undefined {
  try {
    createVerifier({ issuer, audience, jwksUri });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    const named = variableForOption.find(([option]) => error.message.startsWith(`${option} `));
    return named === undefined
      ? `invalid configuration: ${error.message}`
      : `${named[1]} is not acceptable: ${error.message}`;
  }
}

/** Reads and checks the configuration; every mistake found is reported, one line each. */
export function readConfig(env: Environment): ConfigResult {
  const errors: string[] = [];
  const values = new Map<keyof typeof required, string>();
  for (const [name, hint] of Object.entries(required) as Array<[keyof typeof required, string]>) {
    const value = env[name]?.trim();
    if (value === undefined || value === '') errors.push(`${name} is not set (${hint})`);
    else values.set(name, value);
  }
  const port = readPort(env.PORT, errors);
  const host = env.HOST?.trim() || defaultHost;
  const logLevel = env.LOG_LEVEL?.trim() || 'info';
  if (!isLogLevel(logLevel)) {
    errors.push(
      `LOG_LEVEL must be one of ${logLevels.join(', ')}, got ${JSON.stringify(logLevel)}`,
    );
  }
  const issuer = values.get('WRIT_ISSUER');
  const audience = values.get('WRIT_AUDIENCE');
  const jwksUri = values.get('WRIT_JWKS_URI');
  if (jwksUri !== undefined) {
    // Placeholders stand in for missing values (already reported) so the URL is still judged.
    const refusal = verifierRefusal(issuer ?? 'unset', audience ?? 'unset', jwksUri);
    if (refusal !== undefined) errors.push(refusal);
  }
  const revocationsUri = env.WRIT_REVOCATIONS_URI?.trim() || undefined;
  const consumerKey = env.WRIT_CONSUMER_KEY?.trim() || undefined;
  if ((revocationsUri === undefined) !== (consumerKey === undefined)) {
    errors.push('WRIT_REVOCATIONS_URI and WRIT_CONSUMER_KEY go together: set both or neither');
  }
  const staleness = Number(env.WRIT_REVOCATIONS_MAX_STALENESS?.trim() || '30');
  if (!Number.isInteger(staleness) || staleness < 2 || staleness > 300) {
    errors.push('WRIT_REVOCATIONS_MAX_STALENESS must be a whole number of seconds from 2 to 300');
  }
  const revocations =
    revocationsUri === undefined || consumerKey === undefined
      ? undefined
      : { uri: revocationsUri, credentials: consumerKey, maxStalenessSec: staleness };
  if (
    errors.length > 0 ||
    issuer === undefined ||
    audience === undefined ||
    jwksUri === undefined ||
    !isLogLevel(logLevel)
  ) {
    return { ok: false, errors };
  }
  return { ok: true, config: { issuer, audience, jwksUri, host, port, logLevel, revocations } };
}
