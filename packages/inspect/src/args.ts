/** What `writ inspect` was asked to do. */
export interface InspectArgs {
  /** The token, or `-` to read it from stdin. */
  readonly token: string;
  readonly jwks: string | undefined;
  readonly issuer: string | undefined;
  readonly json: boolean;
}

export type ParsedArgs =
  | { readonly kind: 'run'; readonly args: InspectArgs }
  | { readonly kind: 'help' }
  | { readonly kind: 'usage-error'; readonly message: string };

export const usage = [
  'usage: writ inspect <token|-> [--jwks <url|file>] [--issuer <url>] [--json]',
  '',
  '  Decodes a JWT without trusting it and checks it against best practice.',
  '  <token>           the token; - reads it from stdin (keeps it out of shell history)',
  '  --jwks <url|file> also verify, with this key set (https URL, http to loopback, or a JSON file)',
  '  --issuer <url>    also verify, expecting this iss; without --jwks the keys come from',
  '                    <url>/.well-known/oauth-authorization-server',
  '  --json            print the report as JSON',
  '',
  '  exit status: 0 no critical finding (and verified, if asked); 1 critical finding or not',
  '  verified; 2 usage error',
].join('\n');

const valueOptions = ['--jwks', '--issuer'] as const;
type ValueOption = (typeof valueOptions)[number];

function isValueOption(name: string): name is ValueOption {
  return (valueOptions as readonly string[]).includes(name);
}

/**
 * Parses `inspect <token|-> [--jwks X] [--issuer X] [--json]`; the leading `inspect` may be
 * present or already stripped by the CLI. Error messages name options, never echo a token.
 */
export function parseInspectArgs(argv: readonly string[]): ParsedArgs {
  const rest = argv[0] === 'inspect' ? argv.slice(1) : [...argv];
  const values = new Map<ValueOption, string>();
  const positionals: string[] = [];
  let json = false;
  let optionsEnded = false;
  for (let index = 0; index < rest.length; index++) {
    const arg = rest[index] ?? '';
    if (optionsEnded || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      optionsEnded = true;
      continue;
    }
    if (arg === '--help' || arg === '-h') return { kind: 'help' };
    if (arg === '--json') {
      json = true;
      continue;
    }
    const equals = arg.indexOf('=');
    const name = equals === -1 ? arg : arg.slice(0, equals);
    if (!isValueOption(name)) {
      // Only option-looking words are named back; anything else might be a token.
      const shown = /^--?[A-Za-z][A-Za-z0-9-]{0,30}$/.test(name) ? name : 'an argument';
      return { kind: 'usage-error', message: `unknown option ${shown}` };
    }
    const value = equals === -1 ? rest[++index] : arg.slice(equals + 1);
    if (value === undefined || value === '') {
      return { kind: 'usage-error', message: `${name} needs a value` };
    }
    if (values.has(name)) return { kind: 'usage-error', message: `${name} given twice` };
    values.set(name, value);
  }
  if (positionals.length === 0) return { kind: 'usage-error', message: 'no token given' };
  if (positionals.length > 1) {
    return { kind: 'usage-error', message: `expected one token, got ${positionals.length}` };
  }
  const token = positionals[0] ?? '';
  if (token.trim() === '') return { kind: 'usage-error', message: 'the token is empty' };
  return {
    kind: 'run',
    args: { token, jwks: values.get('--jwks'), issuer: values.get('--issuer'), json },
  };
}
