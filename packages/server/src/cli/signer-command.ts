import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadSignerProcessConfig } from '../keys/signer-process/signer-config.ts';
import { SignerStartError } from '../keys/signer-process/signer-errors.ts';
import { SignerKeyStore } from '../keys/signer-process/signer-key-store.ts';
import { type SignerEvent, startSignerServer } from '../keys/signer-process/signer-server.ts';
import { ConfigError } from '../platform/config/load-config.ts';
import type { CliIo } from './io.ts';

const signerUsage = `usage: writ signer              run the signer process (keys the service never holds)
       writ signer secret <path>  write a new shared secret file (32 random bytes, mode 0600)

The signer reads WRIT_SIGNER_SOCKET (absolute path of its Unix socket), WRIT_SIGNER_SECRET_FILE
(the secret it shares with the service), WRIT_SIGNER_MASTER_KEY (32 bytes base64url, sealing its
key store; not the service's master key) and WRIT_SIGNER_DATA_DIR (default ./.writ-signer).
See docs/keys-external-signer.md.`;

/** Only public facts: why a connection ended, a key's kid and state. */
function describe(event: SignerEvent): string {
  switch (event.kind) {
    case 'connection_refused':
      return `connection refused (${event.reason})`;
    case 'connection_closed':
      return `connection closed (${event.reason})`;
    case 'key_created':
      return `key created: ${event.alg} ${event.kid}`;
    case 'key_state':
      return `key ${event.kid} is now ${event.state}`;
    case 'request_failed':
      return `a ${event.op} request failed`;
  }
}

/** `writ signer [secret <path>]`; returns the exit code when the signer stops. */
export async function signer(args: readonly string[], io: CliIo): Promise<number> {
  const [sub, path] = args;
  if (sub === 'secret') {
    if (path === undefined) {
      io.stderr(signerUsage);
      return 2;
    }
    try {
      writeFileSync(resolve(io.cwd, path), randomBytes(32), { mode: 0o600, flag: 'wx' });
    } catch (error) {
      io.stderr(
        `error: cannot create ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'}; it must not exist yet)`,
      );
      return 1;
    }
    io.stderr(`wrote a new signer secret to ${path} (mode 0600); give the service the same file`);
    return 0;
  }
  if (sub !== undefined) {
    io.stderr(signerUsage);
    return sub === 'help' || sub === '--help' ? 0 : 2;
  }
  let running: Awaited<ReturnType<typeof startSignerServer>>;
  try {
    const config = loadSignerProcessConfig(io.env, io.cwd);
    const store = await SignerKeyStore.open(config.dataDir, config.masterKey);
    running = await startSignerServer({
      socketPath: config.socketPath,
      secret: config.secret,
      store,
      onEvent: (event) => io.stderr(`signer: ${describe(event)}`),
    });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof SignerStartError) {
      io.stderr(error.message);
      return 1;
    }
    throw error;
  }
  io.stderr(`Writ signer listening on ${running.socketPath}`);
  return new Promise((resolveExit) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.stderr(`${signal}: signer stopping`);
      running.close().then(
        () => resolveExit(0),
        () => resolveExit(1),
      );
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
}
