#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInspect } from '@writ/inspect';
import {
  apiKeyAdd,
  apiKeyList,
  apiKeyRevoke,
  clientAdd,
  clientList,
  gateway,
  masterKey,
  start,
  usage,
  userAdd,
} from './commands.ts';
import { type CliIo, processIo } from './io.ts';
import { keys } from './keys-commands.ts';
import { signer } from './signer-command.ts';

/** Dispatches `writ <command> …`; returns the exit code. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const [command, sub, arg] = argv;
  switch (
    `${command ?? ''} ${command === 'user' || command === 'admin-key' || command === 'consumer' || command === 'client' ? (sub ?? '') : ''}`.trim()
  ) {
    case 'start':
      return start(io);
    case 'user add':
      return userAdd(io, arg);
    case 'admin-key add':
      return apiKeyAdd(io, 'admin', arg);
    case 'consumer add':
      return apiKeyAdd(io, 'consumer', arg);
    case 'consumer revoke':
      return apiKeyRevoke(io, 'consumer', arg);
    case 'consumer list':
      return apiKeyList(io, 'consumer');
    case 'admin-key revoke':
      return apiKeyRevoke(io, 'admin', arg);
    case 'admin-key list':
      return apiKeyList(io, 'admin');
    case 'client add':
      return clientAdd(io, argv.slice(2));
    case 'client list':
      return clientList(io);
    case 'gateway':
      return gateway(argv.slice(1), io);
    case 'keys':
      return keys(io, argv.slice(1));
    case 'master-key':
      return masterKey(io);
    case 'signer':
      return signer(argv.slice(1), io);
    case 'inspect':
      // stdin as a stream: @writ/inspect reads at most its cap from it, never all of it.
      return runInspect(argv.slice(1), {
        stdout: io.stdout,
        stderr: io.stderr,
        stdin: process.stdin,
      });
    default:
      io.stderr(usage);
      return command === undefined || command === 'help' || command === '--help' ? 0 : 2;
  }
}

// Run when executed (`writ …`, `node main.ts`), not when imported by tests.
if (realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.exitCode = await runCli(process.argv.slice(2), processIo);
}
