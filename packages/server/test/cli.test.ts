import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { usage } from '../src/cli/commands.ts';
import type { CliIo } from '../src/cli/io.ts';
import { runCli } from '../src/cli/main.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'writ-cli-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

/** An in-memory terminal: what the command printed, and what the user would type. */
function terminal(typed = '') {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { WRIT_DATA_DIR: dataDir, WRIT_MASTER_KEY: masterKey },
    cwd: dataDir,
    stdout: (line) => out.push(line),
    stderr: (line) => err.push(line),
    readSecret: async () => typed,
    readStdin: async () => typed,
  };
  return { io, out, err };
}
const masterKey = randomBytes(32).toString('base64url');

/** The commands `writ` alone prints: the first words of each line indented by two spaces. */
const usageLines = usage.split('\n').filter((line) => /^ {2}\S/.test(line));
const usageNames = (prefix: string, name: string) =>
  usageLines.some(
    (line) => line === `  ${prefix}${name}` || line.startsWith(`  ${prefix}${name} `),
  );

/** What main.ts dispatches, read from its switch: a case added there without a usage line fails below. */
const dispatched = [
  ...readFileSync(new URL('../src/cli/main.ts', import.meta.url), 'utf8').matchAll(
    /^\s*case '([^']+)':/gm,
  ),
].map((match) => match[1] ?? '');

/**
 * The commands docs/server.md's CLI table names: `writ admin-key add <name>` / `revoke <name>`
 * is `admin-key add <name>` and `admin-key revoke <name>`.
 */
const serverDoc = readFileSync(new URL('../../../docs/server.md', import.meta.url), 'utf8');
const cliSection = serverDoc.split('\n## CLI\n')[1]?.split('\n## ')[0] ?? '';
const documented = cliSection
  .split('\n')
  .filter((line) => line.startsWith('| `writ '))
  .flatMap((row) => {
    const forms = [...(row.split(' | ')[0] ?? '').matchAll(/`([^`]+)`/g)].map((match) =>
      (match[1] ?? '').replace(/^writ /, '').replace(/\\\|/g, '|'),
    );
    const base = forms[0]?.split(' ')[0] ?? '';
    return forms.map((form) =>
      form === base || form.startsWith(`${base} `) ? form : `${base} ${form}`,
    );
  });
const documentedNames = (name: string) =>
  documented.some((form) => form === name || form.startsWith(`${name} `));

describe('the writ CLI', () => {
  it('adds a user without ever printing the password', async () => {
    const t = terminal('correct horse battery staple');
    expect(await runCli(['user', 'add', 'cli@example.com'], t.io)).toBe(0);
    expect(t.out.join('\n')).toMatch(/^created user usr_/);
    expect([...t.out, ...t.err].join('\n')).not.toContain('correct horse');
    const again = terminal('correct horse battery staple');
    expect(await runCli(['user', 'add', 'cli@example.com'], again.io)).toBe(1);
    expect(again.err.join('\n')).toContain('already exists');
    const weak = terminal('short');
    expect(await runCli(['user', 'add', 'weak@example.com'], weak.io)).toBe(1);
    expect(weak.err.join('\n')).toContain('12 to 1024 characters');
  });

  it('creates, lists and revokes consumer and admin keys, showing a key only once', async () => {
    for (const [command, prefix] of [
      ['consumer', 'wck_'],
      ['admin-key', 'wak_'],
    ] as const) {
      const added = terminal();
      expect(await runCli([command, 'add', 'mirror-1'], added.io)).toBe(0);
      expect(added.out[0]).toMatch(new RegExp(`^${prefix}[A-Za-z0-9_-]{43}$`));
      const listed = terminal();
      expect(await runCli([command, 'list'], listed.io)).toBe(0);
      expect(listed.out.join('\n')).toMatch(/^mirror-1\tcreated \d{4}-/);
      expect(listed.out.join('\n')).not.toContain(added.out[0]);
      expect(await runCli([command, 'revoke', 'mirror-1'], terminal().io)).toBe(0);
      const after = terminal();
      await runCli([command, 'list'], after.io);
      expect(after.out).toEqual([]);
      expect(await runCli([command, 'revoke', 'mirror-1'], terminal().io)).toBe(1);
    }
  });

  it('prints a fresh 32-byte master key', async () => {
    const t = terminal();
    expect(await runCli(['master-key'], t.io)).toBe(0);
    expect(Buffer.from(t.out[0] ?? '', 'base64url')).toHaveLength(32);
  });

  it('answers an unknown command with the usage and exit code 2', async () => {
    const t = terminal();
    expect(await runCli(['frobnicate'], t.io)).toBe(2);
    expect(t.err.join('\n')).toContain('usage: writ <command>');
    expect(await runCli(['consumer', 'add', 'bad name!'], terminal().io)).toBe(2);
  });

  it('lists every command main.ts dispatches in the usage and in docs/server.md, and nothing else in the usage', () => {
    expect(dispatched).toEqual(expect.arrayContaining(['start', 'user add', 'keys', 'signer']));
    for (const command of dispatched) {
      expect(usageNames('', command), `usage line for "writ ${command}"`).toBe(true);
    }
    for (const command of dispatched) {
      expect(documentedNames(command), `docs/server.md CLI row for "writ ${command}"`).toBe(true);
    }
    const firstWords = new Set(dispatched.map((command) => command.split(' ')[0]));
    for (const line of usageLines) {
      expect(firstWords, `"${line.trim()}" is dispatched`).toContain(line.trim().split(' ')[0]);
    }
  });

  it('names each writ keys and writ signer sub-command in the usage as their own help does', async () => {
    const keysHelp = terminal();
    expect(await runCli(['keys', '--help'], keysHelp.io)).toBe(0);
    const keysSubcommands = keysHelp.err
      .join('\n')
      .split('\n')
      .flatMap((line) => /^ {2}(\S.*?)(?: {2,}|$)/.exec(line)?.[1] ?? []);
    expect(keysSubcommands).toEqual([
      'list',
      'rotate [--algorithm A]',
      'rotate --emergency [kid]',
      'export-public',
    ]);
    for (const sub of keysSubcommands) {
      expect(usageNames('keys ', sub), `usage line for "writ keys ${sub}"`).toBe(true);
      expect(documented, 'docs/server.md CLI row').toContain(`keys ${sub}`);
    }
    const signerHelp = terminal();
    expect(await runCli(['signer', '--help'], signerHelp.io)).toBe(0);
    const signerForms = signerHelp.err
      .join('\n')
      .split('\n')
      .flatMap((line) => /writ (signer(?: \S+)*?)(?: {2,}|$)/.exec(line)?.[1] ?? []);
    expect(signerForms).toEqual(['signer', 'signer secret <path>']);
    for (const form of signerForms) {
      expect(usageNames('', form), `usage line for "writ ${form}"`).toBe(true);
      expect(documented, 'docs/server.md CLI row').toContain(form);
    }
  });
});
