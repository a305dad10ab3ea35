import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Starts a node:http server on 127.0.0.1 — on `port`, or any free port when 0 — and resolves once
 * it listens, with the port it got. Test servers restart on the same port with it.
 */
export async function listenOnLoopback(
  handler: RequestListener,
  port: number,
): Promise<{ server: Server; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
