/**
 * The top self-time entries of the Writ process's CPU profile that `refresh.ts --profile DIR`
 * writes (`node --cpu-prof`), grouped by function and file, counting only the samples taken
 * while Writ was under load (`writ-load-windows.json`, written next to it): minting the token
 * pools and the idle time while the other contenders run are left out.
 *
 *   node bench/server/profile-summary.ts DIR [count]
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: {
    readonly functionName: string;
    readonly url: string;
    readonly lineNumber: number;
  };
}
interface Profile {
  readonly startTime: number;
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const [dir, countArg] = process.argv.slice(2);
if (dir === undefined) throw new Error('usage: profile-summary.ts DIR [count]');
const file = readdirSync(dir).find((name) => name.endsWith('.cpuprofile'));
if (file === undefined) throw new Error(`no .cpuprofile in ${dir}`);
const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Profile;
const windows = JSON.parse(readFileSync(join(dir, 'writ-load-windows.json'), 'utf8')) as Array<
  [number, number]
>;
const underLoad = (atUs: number) => windows.some(([from, to]) => atUs >= from && atUs <= to);
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfUs = new Map<string, number>();
let totalUs = 0;
let atUs = profile.startTime;
profile.samples.forEach((id, i) => {
  const delta = profile.timeDeltas[i] ?? 0;
  atUs += delta;
  if (!underLoad(atUs)) return;
  const frame = byId.get(id)?.callFrame;
  if (frame === undefined) return;
  const where = frame.url.startsWith('file://')
    ? relative(process.cwd(), new URL(frame.url).pathname)
    : frame.url;
  const name = `${frame.functionName || '(anonymous)'}  ${where}${where ? `:${frame.lineNumber + 1}` : ''}`;
  selfUs.set(name, (selfUs.get(name) ?? 0) + delta);
  totalUs += delta;
});
const top = [...selfUs].sort((a, b) => b[1] - a[1]).slice(0, Number(countArg ?? 25));
console.log(
  `${windows.length} load window(s), ${(totalUs / 1e6).toFixed(2)} s sampled under load, by self time:`,
);
for (const [name, us] of top) {
  console.log(
    `${((us / totalUs) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(6)} ms  ${name}`,
  );
}
