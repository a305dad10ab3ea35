/** autocannon's per-request hooks, which the refresh benchmark needs on top of bench/verify's declaration. */
export {};

declare module 'autocannon' {
  interface AutocannonRawRequest {
    method?: string;
    path?: string;
    headers?: Record<string, string>;
    body?: string;
  }

  interface AutocannonRequest extends AutocannonRawRequest {
    /** Called for every request sent: takes the next never-used token from the pool. */
    readonly setupRequest?: (request: AutocannonRawRequest) => AutocannonRawRequest;
  }

  interface AutocannonOptions {
    readonly requests?: readonly AutocannonRequest[];
  }
}
