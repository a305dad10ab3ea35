import { type InspectArgs, parseInspectArgs, usage } from './args.ts';
import { InspectInputError } from './input-error.ts';
import { inspectToken } from './inspect-token.ts';
import { redactUserinfo } from './redact.ts';
import { renderJson, renderText } from './report.ts';
import { readCappedStdin } from './stdin.ts';

export interface InspectIo {
  stdout(line: string): void;
  stderr(line: string): void;
  /**
   * Standard input, for `writ inspect -`: read up to `maxStdinBytes` and no further (a stream,
   * not a "read it all" function, so the cap cannot be bypassed). Without it, `-` is a usage error.
   */
  readonly stdin?: AsyncIterable<Uint8Array | string>;
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
  if (io.stdin === undefined) return { error: 'reading the token from stdin is not available' };
  let text: string;
  try {
    text = await readCappedStdin(io.stdin);
  } catch (error) {
    if (error instanceof InspectInputError) return { error: error.message };
    return { error: 'could not read the token from stdin' };
  }
  return text.trim() === '' ? { error: 'stdin holds no token' } : text;
}

/**
 * `writ inspect <token|-> [--jwks X] [--issuer X] [--json]`: decodes a JWT without trusting it,
 * lints it, optionally verifies it, prints the report, and resolves with the exit status.
 * Everything printed comes from the token or the command line: inspect holds no secrets, and
 * URL credentials are redacted on the way out.
 */
export async function runInspect(argv: readonly string[], rawIo: InspectIo): Promise<number> {
  // The one way out: every line, report or error, loses the userinfo of any URL in it.
  const io: InspectIo = {
    ...rawIo,
    stdout: (line) => rawIo.stdout(redactUserinfo(line)),
    stderr: (line) => rawIo.stderr(redactUserinfo(line)),
  };
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
