import type { CliIo } from '../../src/cli/io.ts';

/**
 * A terminal for `runCli` in this process that records what it printed: `out` and `err` hold
 * the lines, and nothing is read (no secret, empty stdin).
 */
export function recordingTerminal(
  env: Record<string, string>,
  cwd: string,
): { readonly io: CliIo; readonly out: string[]; readonly err: string[] } {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env,
    cwd,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    readSecret: async () => '',
    readStdin: async () => '',
  };
  return { io, out, err };
}
