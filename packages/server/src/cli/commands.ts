import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { ApiKeyKind } from '../api-keys/api-key-record.ts';
import { createApiKey } from '../api-keys/create-api-key.ts';
import { listApiKeys } from '../api-keys/list-api-keys.ts';
import { revokeApiKey } from '../api-keys/revoke-api-key.ts';
import { openServiceDatabase } from '../app/open-service-database.ts';
import { type RunningService, startService } from '../app/start-service.ts';
import { parseClientAddArgs } from '../clients/client-cli-options.ts';
import { clientResponse } from '../clients/client-response.ts';
import { listClients } from '../clients/list-clients.ts';
import { registerClient } from '../clients/register-client.ts';
import { registrationProblems } from '../clients/registration-problems.ts';
import { systemClock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { ConfigError, loadConfig } from '../platform/config/load-config.ts';
import { SealedBoxError } from '../platform/crypto/sealed-box.ts';
import { createUser } from '../users/create-user.ts';
import type { CliIo } from './io.ts';

export { gateway } from '../gateway/gateway-command.ts';

export const usage = `usage: writ <command>

  start                      run the token service (http://127.0.0.1:4000, data in ./.writ)
  user add <email>           create a user; the password is read from the terminal or stdin
  admin-key add <name>       create an admin API key (printed once)
  consumer add <name>        create a consumer key for revocation mirrors (printed once)
  admin-key revoke <name>    revoke an admin API key
  admin-key list             list active admin keys (names and creation dates, never the keys)
  consumer revoke <name>     revoke a consumer key (its open revocation streams end)
  consumer list              list active consumer keys
  client add <name> [opts]   register an OAuth client (writ client add --help); a secret is printed once
  client list                list OAuth clients (ids, names, methods, grants; never secrets)
  keys list                  list the signing keys: kid, algorithm, state, created, activates, retires
  keys rotate [--algorithm A]
                             publish a next key now; it signs after the publication lead time
  keys rotate --emergency [kid]
                             a leaked key: a fresh key signs now, the leaked one is withdrawn from
                             the JWKS and its tokens revoked at once (writ keys --help)
  keys export-public         print the public key set (JWKS) as JSON
  master-key                 print a new random master key for WRIT_MASTER_KEY
  signer                     run the signer process that holds the private keys (writ signer --help)
  signer secret <path>       write a new secret file the signer and the service share (mode 0600)
  inspect <token|->          decode and lint a JWT without trusting it (see writ inspect --help)
  gateway --upstream <url> … run a phantom-token gateway in front of an API (writ gateway --help)
`;

/**
 * The service's configuration as every command reads it; a configuration problem is printed
 * (one line each) and gives `undefined`, for the command to exit 1.
 */
export function loadCliConfig(io: CliIo): ServiceConfig | undefined {
  try {
    return loadConfig({
      env: io.env,
      cwd: io.cwd,
      warn: (message) => io.stderr(`warning: ${message}`),
    });
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(error.message);
      return undefined;
    }
    throw error;
  }
}

export async function start(
  io: CliIo,
  onStarted?: (close: () => Promise<void>) => void,
): Promise<number> {
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  let service: RunningService;
  try {
    service = await startService(settings, { logger: { level: io.env.WRIT_LOG_LEVEL ?? 'info' } });
  } catch (error) {
    if (error instanceof SealedBoxError) {
      io.stderr(
        'error: the master key does not open the stored signing keys (was WRIT_MASTER_KEY changed, or the database copied from another installation?)',
      );
      return 1;
    }
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      io.stderr(`error: ${settings.host}:${settings.port} is already in use (set WRIT_PORT)`);
      return 1;
    }
    throw error;
  }
  const issuer = settings.issuer;
  io.stderr(
    [
      '',
      `Writ token service listening on ${service.url} (${settings.mode} mode)`,
      `  issuer      ${issuer}`,
      `  JWKS        ${issuer}/.well-known/jwks.json`,
      `  metadata    ${issuer}/.well-known/oauth-authorization-server`,
      `  data        ${settings.dataDir}`,
      '',
      'Next:',
      '  npx writ user add you@example.com          create a user',
      `  curl -X POST ${issuer}/auth/sign-in -H 'content-type: application/json' \\`,
      `       -d '{"email":"you@example.com","password":"…"}'`,
      "  npx writ consumer add my-api               key for a resource server's revocation mirror",
      '  docs/server.md                             every endpoint',
      '',
    ].join('\n'),
  );
  onStarted?.(() => service.close());
  return new Promise((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.stderr(`${signal}: draining requests and stopping`);
      service.close().then(
        () => resolve(0),
        (error: unknown) => {
          io.stderr(`error while stopping: ${String(error)}`);
          resolve(1);
        },
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}

export async function userAdd(io: CliIo, email: string | undefined): Promise<number> {
  if (email === undefined) {
    io.stderr('usage: writ user add <email>');
    return 2;
  }
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const password = await io.readSecret(`password for ${email}: `);
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    const result = await createUser({ db, clock: systemClock }, { email, password });
    if (!result.ok) {
      const messages = {
        invalid_email: 'that does not look like an email address',
        weak_password: 'the password must be 12 to 1024 characters, not only whitespace',
        email_taken: 'a user with that email already exists',
      } as const;
      io.stderr(`error: ${messages[result.problem]}`);
      return 1;
    }
    io.stdout(`created user ${result.userId}`);
    return 0;
  } finally {
    await close();
  }
}

export async function apiKeyAdd(
  io: CliIo,
  kind: ApiKeyKind,
  name: string | undefined,
): Promise<number> {
  if (name === undefined || !/^[A-Za-z0-9._-]{1,64}$/.test(name)) {
    io.stderr(
      `usage: writ ${kind === 'admin' ? 'admin-key' : 'consumer'} add <name> (letters, digits, . _ -)`,
    );
    return 2;
  }
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    const key = await createApiKey({ db, clock: systemClock }, kind, name);
    io.stderr(`created ${kind} key "${name}"; it is shown once, store it in your secret manager:`);
    io.stdout(key);
    return 0;
  } finally {
    await close();
  }
}

export async function apiKeyList(io: CliIo, kind: ApiKeyKind): Promise<number> {
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    for (const key of await listApiKeys(db, kind)) {
      io.stdout(`${key.name}\tcreated ${new Date(key.createdAt).toISOString()}`);
    }
    return 0;
  } finally {
    await close();
  }
}

export async function apiKeyRevoke(
  io: CliIo,
  kind: ApiKeyKind,
  name: string | undefined,
): Promise<number> {
  if (name === undefined) {
    io.stderr(`usage: writ ${kind === 'admin' ? 'admin-key' : 'consumer'} revoke <name>`);
    return 2;
  }
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    const revoked = await revokeApiKey({ db, clock: systemClock }, kind, name);
    io.stderr(revoked ? `revoked ${kind} key "${name}"` : `no active ${kind} key named "${name}"`);
    return revoked ? 0 : 1;
  } finally {
    await close();
  }
}

export async function clientAdd(io: CliIo, args: readonly string[]): Promise<number> {
  const parsed = parseClientAddArgs(args);
  if (!parsed.ok) {
    io.stderr(parsed.message);
    return args.includes('--help') ? 0 : 2;
  }
  const body = { ...parsed.body };
  if (parsed.jwksFile !== undefined) {
    try {
      body.jwks = JSON.parse(readFileSync(parsed.jwksFile, 'utf8'));
    } catch {
      io.stderr(`error: ${parsed.jwksFile} is not a readable JSON file`);
      return 1;
    }
  }
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    const result = await registerClient({ config: settings, db, clock: systemClock }, body, {
      via: 'admin',
    });
    if (!result.ok) {
      io.stderr(
        `error: ${result.problem === 'registration_token_used' ? result.problem : registrationProblems[result.problem]}`,
      );
      return 1;
    }
    if (result.clientSecret !== undefined) {
      io.stderr('the client secret is shown once: store it in your secret manager');
    }
    io.stdout(JSON.stringify(clientResponse(result.client, result.clientSecret), null, 2));
    return 0;
  } finally {
    await close();
  }
}

export async function clientList(io: CliIo): Promise<number> {
  const settings = loadCliConfig(io);
  if (settings === undefined) return 1;
  const { db, close } = await openServiceDatabase(settings.databaseUrl);
  try {
    for (const client of await listClients({ db })) {
      const disabled =
        client.disabledAt === null ? '' : `\tdisabled ${new Date(client.disabledAt).toISOString()}`;
      io.stdout(
        `${client.clientId}\t${client.name}\t${client.authMethod}\t${client.grantTypes.join(',')}\tcreated ${new Date(client.createdAt).toISOString()}${disabled}`,
      );
    }
    return 0;
  } finally {
    await close();
  }
}

export function masterKey(io: CliIo): number {
  io.stdout(randomBytes(32).toString('base64url'));
  return 0;
}
