/** The part of autocannon's programmatic API the benchmarks use (the package ships no types). */
declare module 'autocannon' {
  export interface AutocannonOptions {
    readonly url: string;
    readonly connections?: number;
    readonly pipelining?: number;
    /** Seconds. */
    readonly duration?: number;
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
  }

  interface Distribution {
    readonly average: number;
    readonly p50: number;
    readonly p99: number;
    readonly max: number;
  }

  export interface AutocannonResult {
    /** Seconds. */
    readonly duration: number;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly '2xx': number;
    /** Per-second samples of completed requests. */
    readonly requests: Distribution & { readonly total: number; readonly sent: number };
    /** Milliseconds. */
    readonly latency: Distribution;
  }

  function autocannon(options: AutocannonOptions): PromiseLike<AutocannonResult>;
  export default autocannon;
}
