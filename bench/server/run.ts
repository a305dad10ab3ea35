/**
 * The token service benchmarks, each in its own process so one cannot warm or starve another:
 * the refresh path next to oidc-provider and SQLite's commit rate, the token endpoint
 * (client_credentials, refresh_token, introspection) next to oidc-provider, revocation
 * propagation to 3 consumers, mirror memory and lookup cost. `--quick` for a short smoke run;
 * `--rounds N` and `--seconds S` go to the refresh and token endpoint benchmarks (`--profile DIR`
 * to the refresh one only).
 */
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '../..');
const node = process.execPath;
const quick = process.argv.includes('--quick') ? ['--quick'] : [];
/** The arguments oauth-token.ts takes: everything but `--profile DIR`. */
const tokenArgs = process.argv.slice(2).filter((arg, index, all) => {
  if (arg === '--profile' || arg.startsWith('--profile=')) return false;
  return all[index - 1] !== '--profile';
});

const runs: Array<[string, string[], string[]]> = [
  ['bench/server/refresh.ts', [], process.argv.slice(2)],
  ['bench/server/oauth-token.ts', [], tokenArgs],
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
