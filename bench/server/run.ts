/**
 * The token service benchmarks, each in its own process so one cannot warm or starve another:
 * the refresh path next to oidc-provider and SQLite's commit rate, revocation propagation to 3
 * consumers, mirror memory and lookup cost. `--quick` for a short smoke run; `--rounds N` and
 * `--seconds S` (and `--profile DIR`) go to the refresh benchmark.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const node = process.execPath;
const quick = process.argv.includes('--quick') ? ['--quick'] : [];

const runs: Array<[string, string[], string[]]> = [
  ['bench/server/refresh.ts', [], process.argv.slice(2)],
  ['bench/server/propagation.ts', [], quick],
  ['bench/server/mirror.ts', ['--expose-gc'], quick],
];

let failed = false;
for (const [script, flags, args] of runs) {
  const result = spawnSync(node, [...flags, resolve(root, script), ...args], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed = true;
    console.error(`${script} exited with ${result.status}`);
  }
}
process.exitCode = failed ? 1 : 0;
