/**
 * How much CPU other processes took while a benchmark segment ran. On a shared 2-core machine a
 * neighbour's burst can halve a figure, so segments run under foreign load are retried (run.ts)
 * or at least reported (http.ts). Linux only (`/proc/stat`); elsewhere it reports 0.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface LoadMark {
  /** Busy time of every CPU (user, nice, system, irq, softirq, steal), µs. */
  readonly busyUs: number;
  /** This process's CPU time (all threads), µs. */
  readonly ownUs: number;
  readonly atMs: number;
}

function clockTicksPerSecond(): number {
  try {
    const ticks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    return Number.isFinite(ticks) && ticks > 0 ? ticks : 100;
  } catch {
    return 100;
  }
}

const usPerTick = 1e6 / clockTicksPerSecond();
let procStatReadable = true;

function systemBusyUs(): number {
  if (!procStatReadable) return 0;
  try {
    const line = readFileSync('/proc/stat', 'latin1').split('\n', 1)[0] ?? '';
    // cpu user nice system idle iowait irq softirq steal ...
    const fields = line.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * usPerTick;
  } catch {
    procStatReadable = false;
    return 0;
  }
}

export function markLoad(): LoadMark {
  const own = process.cpuUsage();
  return { busyUs: systemBusyUs(), ownUs: own.user + own.system, atMs: performance.now() };
}

/**
 * CPU used by everything except this process (and `otherOwnUs`, e.g. a child process of the
 * benchmark) since `mark`, in cores (1 = one core fully busy).
 */
export function foreignCores(mark: LoadMark, otherOwnUs = 0): number {
  const now = markLoad();
  const elapsedUs = (now.atMs - mark.atMs) * 1000;
  if (elapsedUs <= 0 || !procStatReadable) return 0;
  const foreign = now.busyUs - mark.busyUs - (now.ownUs - mark.ownUs) - otherOwnUs;
  return Math.max(0, foreign / elapsedUs);
}

/**
 * Waits, in 100 ms windows, until other processes use at most `limitCores`, or `maxWaitMs` has
 * passed. Returns how long it waited (ms).
 */
export async function waitForQuiet(limitCores: number, maxWaitMs: number): Promise<number> {
  const start = performance.now();
  while (performance.now() - start < maxWaitMs) {
    const mark = markLoad();
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (foreignCores(mark) <= limitCores) break;
  }
  return performance.now() - start;
}
