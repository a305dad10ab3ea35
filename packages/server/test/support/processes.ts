import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const repositoryRoot = resolve(import.meta.dirname, '../../../..');
/** Node 24 from the root devDependency, never whatever `node` the machine has. */
export const nodeBinary = resolve(repositoryRoot, 'node_modules/.bin/node');

export interface RunningProcess {
  readonly child: ChildProcess;
  readonly output: () => string;
  /** SIGKILL: no draining, no goodbye — as a crash would. */
  kill(): Promise<void>;
  /** SIGTERM and wait for the exit code. */
  stop(): Promise<number | null>;
}

export function startProcess(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
): RunningProcess {
  const child = spawn(nodeBinary, [resolve(repositoryRoot, script), ...args], {
    cwd: repositoryRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return {
    child,
    output: () => output,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

/** Runs a CLI command to completion and returns its exit code and output. */
export function runCommand(
  script: string,
  args: readonly string[],
  env: Record<string, string>,
  stdin = '',
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(nodeBinary, [resolve(repositoryRoot, script), ...args], {
      cwd: repositoryRoot,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.once('error', fail);
    child.once('exit', (code) => done({ code, stdout, stderr }));
    child.stdin.end(stdin);
  });
}

/** Polls `url` until it answers 200 (or the deadline passes). */
export async function waitUntilHealthy(url: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(url)).status === 200) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not become healthy`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** `writ signer` with `env`, once it says it is listening (15 s at most). */
export async function startSignerProcess(env: Record<string, string>): Promise<RunningProcess> {
  const started = startProcess('packages/server/src/cli/main.ts', ['signer'], env);
  const deadline = Date.now() + 15_000;
  while (!started.output().includes('listening')) {
    if (started.child.exitCode !== null || Date.now() > deadline) {
      await started.kill();
      throw new Error(`the signer did not start: ${started.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return started;
}
