import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createReverseProxy, type ReverseProxyOptions } from './reverse-proxy.ts';

/** Bounds on what clients can hold open at the gateway. All have defaults. */
export interface GatewayListenLimits {
  /** Client connections at once; more are refused at accept. Default 1024. */
  readonly maxConnections?: number;
  /** Time for a client to send its request headers. Default 10 000 ms. */
  readonly headersTimeoutMs?: number;
  /** Time for a client to send its whole request, body included. Default 60 000 ms. */
  readonly requestTimeoutMs?: number;
  /** An idle keep-alive connection is closed after this. Default 5000 ms. */
  readonly keepAliveTimeoutMs?: number;
}

export interface GatewayOptions extends ReverseProxyOptions {
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
  readonly limits?: GatewayListenLimits;
}

export interface RunningGateway {
  readonly server: Server;
  /** `http://host:port` as bound. */
  readonly url: string;
  /** Stops accepting, lets requests under way finish (up to `graceMs`), then closes everything, the exchanger included. */
  close(graceMs?: number): Promise<void>;
}

/** Starts `writ gateway`'s reverse proxy: node:http in front, bounded, streaming. */
export async function startGateway(options: GatewayOptions): Promise<RunningGateway> {
  const proxy = createReverseProxy(options);
  const limits = options.limits ?? {};
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs ?? 10_000,
      requestTimeout: limits.requestTimeoutMs ?? 60_000,
      keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5000,
      // No upgrade listener: an `Upgrade` request is handled as a plain request, the field dropped.
    },
    proxy.handle,
  );
  server.maxConnections = limits.maxConnections ?? 1024;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${host}:${address.port}`,
    async close(graceMs = 5000) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const grace = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(grace);
      proxy.close();
      await options.exchanger.close();
    },
  };
}
