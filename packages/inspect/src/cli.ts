#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { runInspect } from './run-inspect.ts';

/** `writ-inspect <token|-> …`: the same command as `writ inspect`, without the token service. */
if (realpathSync(process.argv[1] ?? '') === fileURLToPath(import.meta.url)) {
  process.exitCode = await runInspect(process.argv.slice(2), {
    stdout: (line) => process.stdout.write(`${line}\n`),
    stderr: (line) => process.stderr.write(`${line}\n`),
    stdin: process.stdin,
  });
}
