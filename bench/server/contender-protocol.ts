/**
 * The IPC messages between `refresh.ts` (the load generator) and the processes it measures.
 * Each contender serves its measured endpoint on one port and mints never-used tokens on
 * another (the side listener), so minting never shares the measured socket.
 */

/** Parent → contender. */
export type ContenderCommand =
  | { readonly type: 'cpu' }
  /** The SQLite commit-rate process only: commit for this long, one row at a time. */
  | { readonly type: 'commit'; readonly seconds: number }
  | { readonly type: 'close' };

/** Contender → parent. */
export type ContenderMessage =
  | {
      readonly type: 'listening';
      /** The measured endpoint's port. */
      readonly port: number;
      /** The side listener: `GET /mint?n=…` answers a JSON array of never-used tokens. */
      readonly mintPort: number;
      /** What the contender wants said next to its figures (its configuration, in words). */
      readonly notes: readonly string[];
    }
  | { readonly type: 'ready'; readonly notes: readonly string[] }
  | {
      readonly type: 'cpu';
      /** The whole process: every thread (SQLite and libuv work included). */
      readonly process: NodeJS.CpuUsage;
      /** The main thread alone: the event loop every request shares. */
      readonly mainThread: NodeJS.CpuUsage;
      /** The monotonic clock V8's CPU profiles are stamped with, µs. */
      readonly monotonicUs: number;
    }
  | { readonly type: 'committed'; readonly commits: number; readonly elapsedMs: number };

/** Most tokens one `GET /mint` hands out: the side listener's own bound. */
export const maxMintBatch = 20_000;

export function parseMintCount(url: string | undefined): number | undefined {
  const match = /^\/mint\?n=([0-9]{1,6})$/.exec(url ?? '');
  const count = match === null ? Number.NaN : Number(match[1]);
  return Number.isInteger(count) && count >= 1 && count <= maxMintBatch ? count : undefined;
}

export function cpuMessage(): ContenderMessage {
  return {
    type: 'cpu',
    process: process.cpuUsage(),
    mainThread: process.threadCpuUsage(),
    monotonicUs: Number(process.hrtime.bigint() / 1000n),
  };
}

/** Sends to the parent while it is there: a contender outliving it must not die of EPIPE. */
export function sendToParent(message: ContenderMessage): void {
  if (process.connected) process.send?.(message);
}
