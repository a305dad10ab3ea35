import { type InspectArgs, parseInspectArgs, usage } from './args.ts';
import { inspectToken } from './inspect-token.ts';
import { renderJson, renderText } from './report.ts';

export interface InspectIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /** All of stdin, for `writ inspect -`. Without it, `-` is a usage error. */
  readStdin?(): Promise<string>;
}

/** Exit status: no critical finding and (if asked) verified. */
export const exitOk = 0;
/** A critical finding, or verification was asked for and failed. */
export const exitFindings = 1;
/** The command line itself was wrong. */
export const exitUsage = 2;

function usageError(io: InspectIo, message: string): number {
  io.stderr(`writ inspect: ${message}`);
  io.stderr(usage);
  return exitUsage;
}

async function readToken(args: InspectArgs, io: InspectIo): Promise<string | { error: string }> {
  if (args.token !== '-') return args.token;
  if (io.readStdin === undefined) return { error: 'reading the token from stdin is not available' };
  let text: string;
  try {
    text = await io.readStdin();
  } catch {
    return { error: 'could not read the token from stdin' };
  }
  return text.trim() === '' ? { error: 'stdin holds no token' } : text;
}

/**
 * `writ inspect <token|-> [--jwks X] [--issuer X] [--json]`: decodes a JWT without trusting it,
 * lints it, optionally verifies it, prints the report, and resolves with the exit status.
 * Everything printed comes from the token or the command line: inspect holds no secrets.
 */
export async function runInspect(argv: readonly string[], io: InspectIo): Promise<number> {
  const parsed = parseInspectArgs(argv);
  if (parsed.kind === 'help') {
    io.stdout(usage);
    return exitOk;
  }
  if (parsed.kind === 'usage-error') return usageError(io, parsed.message);
  const token = await readToken(parsed.args, io);
  if (typeof token !== 'string') return usageError(io, token.error);
  try {
    const inspection = await inspectToken(token, {
      jwks: parsed.args.jwks,
      issuer: parsed.args.issuer,
    });
    const lines = parsed.args.json ? [renderJson(inspection)] : renderText(inspection);
    for (const line of lines) io.stdout(line);
    return inspection.exitCode;
  } catch {
    // inspectToken is built never to throw; if it does anyway, a one-line message beats a stack
    // trace that could quote the token.
    io.stderr('writ inspect: internal error while inspecting the token (please report it)');
    return exitFindings;
  }
}
