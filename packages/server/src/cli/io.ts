import { createInterface } from 'node:readline';

/** What a command may do to the outside world; tests pass their own. */
export interface CliIo {
  readonly env: NodeJS.ProcessEnv;
  readonly cwd: string;
  stdout(line: string): void;
  stderr(line: string): void;
  /** Reads a secret: hidden prompt on a terminal, else the first line of stdin. */
  readSecret(prompt: string): Promise<string>;
  readStdin(): Promise<string>;
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

function promptHidden(prompt: string): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input: process.stdin, output: process.stderr, terminal: true });
    const output = rl as unknown as { _writeToOutput(text: string): void };
    process.stderr.write(prompt);
    // Echo nothing of what is typed.
    output._writeToOutput = () => {};
    rl.question('', (answer) => {
      rl.close();
      process.stderr.write('\n');
      resolve(answer);
    });
  });
}

export const processIo: CliIo = {
  env: process.env,
  cwd: process.cwd(),
  stdout: (line) => process.stdout.write(`${line}\n`),
  stderr: (line) => process.stderr.write(`${line}\n`),
  readSecret: async (prompt) =>
    process.stdin.isTTY ? promptHidden(prompt) : ((await readAll()).split(/\r?\n/)[0] ?? ''),
  readStdin: readAll,
};
