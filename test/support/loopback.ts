import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A node:http server listening on 127.0.0.1. */
export interface LoopbackListener {
  readonly server: Server;
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /**
   * Stops listening and drops every open connection, keep-alive ones included, so a test's
   * teardown never waits for a client's idle timeout.
   */
  close(): Promise<void>;
}

/**
 * Starts a node:http server on 127.0.0.1 — on `port`, or any free port when 0 — and resolves once
 * it listens. Test servers restart on the port they got the first time with it. Loopback only:
 * a test server must never be reachable from the network.
 */
export async function listenOnLoopback(
  handler: RequestListener,
  port = 0,
): Promise<LoopbackListener> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const bound = (server.address() as AddressInfo).port;
  return {
    server,
    port: bound,
    origin: `http://127.0.0.1:${bound}`,
    close: () => closeListener(server),
  };
}

async function closeListener(server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()));
  server.closeAllConnections();
  await closed;
}

/**
 * A port that was free a moment ago on 127.0.0.1, for servers whose URL must be known before they
 * start (the token service's issuer, a child process's `PORT`).
 */
export async function freePort(): Promise<number> {
  const probe = await listenOnLoopback((_request, response) => response.end());
  await probe.close();
  return probe.port;
}

/** A loopback listener a test can stop and start again on the port it got the first time. */
export interface RestartableListener {
  readonly port: number;
  /** `http://127.0.0.1:<port>` */
  readonly origin: string;
  /** Listens again on the same port; does nothing while listening. */
  start(): Promise<void>;
  /** Stops listening and drops every open connection; does nothing while stopped. */
  stop(): Promise<void>;
}

/** Starts listening at once, like `listenOnLoopback`, for servers whose outage a test simulates. */
export async function listenRestartably(handler: RequestListener): Promise<RestartableListener> {
  let current: LoopbackListener | undefined = await listenOnLoopback(handler);
  const { port, origin } = current;
  return {
    port,
    origin,
    async start() {
      current ??= await listenOnLoopback(handler, port);
    },
    async stop() {
      const stopping = current;
      current = undefined;
      await stopping?.close();
    },
  };
}
