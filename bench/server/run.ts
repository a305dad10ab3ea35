/**
 * The token service benchmarks, each in its own process so one cannot warm or starve another:
 * refresh rotations/s, revocation propagation to 3 consumers, mirror memory and lookup cost.
 * `--quick` for a short smoke run.
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const node = process.execPath;
const quick = process.argv.includes('--quick') ? ['--quick'] : [];

const runs: Array<[string, string[]]> = [
  ['bench/server/refresh.ts', []],
  ['bench/server/propagation.ts', []],
  ['bench/server/mirror.ts', ['--expose-gc']],
];

let failed = false;
for (const [script, flags] of runs) {
  const result = spawnSync(node, [...flags, resolve(root, script), ...quick], {
    cwd: root,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    failed = true;
    console.error(`${script} exited with ${result.status}`);
  }
}
process.exitCode = failed ? 1 : 0;
