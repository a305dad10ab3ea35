import { parseArgs } from 'node:util';
import { isLoopbackHostname } from '@writ/core';
import { ConfigurationError } from '@writ/verify';
import { createPhantomTokenExchanger, type PhantomTokenExchanger } from '@writ/verify/phantom';
import { type RunningGateway, startGateway } from './start-gateway.ts';

/** What the command may do to the outside world (the CLI's `CliIo` fits). */
export interface GatewayIo {
  readonly env: NodeJS.ProcessEnv;
  stdout(line: string): void;
  stderr(line: string): void;
}

export const gatewayUsage = `usage: writ gateway --upstream <url> --issuer <url> --client-id <id> --audience <uri> [options]

  Exchanges each request's opaque access token (wat_…) for its JWT and forwards the request to
  the upstream API with Authorization: Bearer <jwt>. docs/phantom-tokens.md

  --listen <host:port>             where to listen (default 127.0.0.1:8080)
  --upstream <url>                 the API behind the gateway, http(s)://host[:port][/prefix]
  --issuer <url>                   the token service's issuer
  --client-id <id>                 the gateway's client at the token service (allowed to introspect)
  --audience <uri>                 the API's identifier: access tokens must be for it
  --introspection-endpoint <url>   default <issuer>/oauth/introspect
  --jwks-uri <url>                 default <issuer>/.well-known/jwks.json
  --required-scope <scope>         a scope every request must carry (repeatable)
  --forwarded-proto <http|https>   X-Forwarded-Proto sent upstream (https behind a TLS terminator; default http)
  --upstream-timeout <ms>          an upstream silent this long gets 504 (default 30000, 100 to 600000)
  --max-connections <n>            client connections at once (default 1024, 1 to 100000)

  WRIT_GATEWAY_CLIENT_SECRET       the client's secret (required; never on the command line)
  WRIT_GATEWAY_CONSUMER_KEY        a consumer key (writ consumer add): mirror the revocation log,
                                   so a revoked token is refused at once, not at its next introspection
`;

/** `host:port`, `[v6]:port`. */
function parseListen(value: string): { host: string; port: number } | undefined {
  const match = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d{1,5})$/.exec(value);
  if (match === null) return undefined;
  const port = Number(match[2]);
  if (port > 65_535) return undefined;
  return { host: (match[1] ?? '').replace(/^\[(.*)\]$/, '$1'), port };
}

function absoluteUrl(value: string | undefined): URL | undefined {
  if (value === undefined) return undefined;
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

function wholeNumber(value: string, min: number, max: number): number | undefined {
  if (!/^\d{1,7}$/.test(value)) return undefined;
  const number = Number(value);
  return number >= min && number <= max ? number : undefined;
}

/** Runs `writ gateway …` until SIGINT/SIGTERM; returns the exit code. */
export async function gateway(
  argv: readonly string[],
  io: GatewayIo,
  onStarted?: (running: RunningGateway) => void,
): Promise<number> {
  if (argv.some((arg) => arg === '--client-secret' || arg.startsWith('--client-secret='))) {
    // Anything on a command line is readable by every local user (ps, /proc) and lands in shell history.
    io.stderr('error: the client secret is read from WRIT_GATEWAY_CLIENT_SECRET, never from argv');
    return 2;
  }
  const parse = (args: readonly string[]) =>
    parseArgs({
      args: [...args],
      strict: true,
      allowPositionals: false,
      options: {
        listen: { type: 'string', default: '127.0.0.1:8080' },
        upstream: { type: 'string' },
        issuer: { type: 'string' },
        'client-id': { type: 'string' },
        audience: { type: 'string' },
        'introspection-endpoint': { type: 'string' },
        'jwks-uri': { type: 'string' },
        'required-scope': { type: 'string', multiple: true },
        'forwarded-proto': { type: 'string', default: 'http' },
        'upstream-timeout': { type: 'string', default: '30000' },
        'max-connections': { type: 'string', default: '1024' },
        help: { type: 'boolean' },
      },
    });
  let values: ReturnType<typeof parse>['values'];
  try {
    values = parse(argv).values;
  } catch (error) {
    io.stderr(`error: ${(error as Error).message}\n\n${gatewayUsage}`);
    return 2;
  }
  if (values.help === true) {
    io.stdout(gatewayUsage);
    return 0;
  }
  const listen = parseListen(values.listen);
  const upstream = absoluteUrl(values.upstream);
  const issuer = values.issuer;
  const clientId = values['client-id'];
  const audience = values.audience;
  const proto = values['forwarded-proto'];
  const upstreamTimeoutMs = wholeNumber(values['upstream-timeout'], 100, 600_000);
  const maxConnections = wholeNumber(values['max-connections'], 1, 100_000);
  const problems = [
    listen === undefined && '--listen must be host:port',
    (upstream === undefined || !/^https?:$/.test(upstream.protocol)) &&
      '--upstream must be an http(s) URL',
    upstream !== undefined &&
      (upstream.search !== '' || upstream.hash !== '') &&
      '--upstream must not have a query or fragment',
    absoluteUrl(issuer) === undefined && '--issuer must be a URL',
    (clientId === undefined || clientId === '') && '--client-id is required',
    (audience === undefined || audience === '') && '--audience is required',
    proto !== 'http' && proto !== 'https' && '--forwarded-proto must be http or https',
    upstreamTimeoutMs === undefined &&
      '--upstream-timeout must be a whole number from 100 to 600000',
    maxConnections === undefined && '--max-connections must be a whole number from 1 to 100000',
  ].filter((problem) => problem !== false);
  const clientSecret = io.env.WRIT_GATEWAY_CLIENT_SECRET ?? '';
  if (clientSecret === '') problems.push('WRIT_GATEWAY_CLIENT_SECRET must hold the client secret');
  if (
    problems.length > 0 ||
    listen === undefined ||
    upstream === undefined ||
    upstreamTimeoutMs === undefined ||
    maxConnections === undefined
  ) {
    io.stderr(`${problems.map((p) => `error: ${p}`).join('\n')}\n\n${gatewayUsage}`);
    return 2;
  }
  const base = (issuer ?? '').replace(/\/+$/, '');
  const consumerKey = io.env.WRIT_GATEWAY_CONSUMER_KEY;
  let exchanger: PhantomTokenExchanger;
  try {
    exchanger = createPhantomTokenExchanger({
      introspectionEndpoint: values['introspection-endpoint'] ?? `${base}/oauth/introspect`,
      clientId: clientId ?? '',
      clientSecret,
      issuer: issuer ?? '',
      audience: audience ?? '',
      jwksUri: values['jwks-uri'] ?? `${base}/.well-known/jwks.json`,
      ...(values['required-scope'] === undefined
        ? {}
        : { requiredScopes: values['required-scope'] }),
      ...(consumerKey === undefined || consumerKey === ''
        ? {}
        : {
            revocations: {
              uri: base,
              credentials: consumerKey,
              onError: (error: unknown) =>
                io.stderr(`warning: revocation mirror: ${(error as Error).message}`),
            },
          }),
      // Codes and fixed messages only: the token and the body never reach them.
      onError: (error) => io.stderr(`warning: introspection: ${(error as Error).message}`),
    });
  } catch (error) {
    if (error instanceof ConfigurationError) {
      io.stderr(`error: ${error.message}`);
      return 2;
    }
    throw error;
  }
  if (upstream.protocol === 'http:' && !isLoopbackHostname(upstream.hostname)) {
    io.stderr(
      'warning: the upstream is plain http off this machine: the access tokens cross the network unencrypted',
    );
  }
  if (consumerKey === undefined || consumerKey === '') {
    io.stderr(
      'warning: no WRIT_GATEWAY_CONSUMER_KEY: revoked tokens are refused only once their cached exchange (30 s) runs out',
    );
  }
  let running: RunningGateway;
  try {
    running = await startGateway({
      exchanger,
      upstream,
      host: listen.host,
      port: listen.port,
      clientProto: proto === 'https' ? 'https' : 'http',
      upstreamTimeoutMs,
      limits: { maxConnections },
      onError: (event) => io.stderr(`warning: upstream: ${event.code}`),
    });
  } catch (error) {
    await exchanger.close();
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.stderr(`error: ${values.listen} is already in use`);
      return 1;
    }
    throw error;
  }
  io.stderr(`Writ gateway listening on ${running.url} -> ${upstream.origin}${upstream.pathname}`);
  onStarted?.(running);
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      io.stderr(`${signal}: draining requests and stopping`);
      running.close().then(
        () => resolve(0),
        () => resolve(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
