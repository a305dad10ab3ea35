import type { FastifyInstance } from 'fastify';
import type { ServiceConfig } from './config/config.ts';
import { prepareDecoyHash } from './crypto/password.ts';
import { buildApp } from './http/build-app.ts';
import { KeyRing } from './keys/key-ring.ts';
import { createLocalNotifier, type RevocationNotifier } from './revocation/revocation-notifier.ts';
import type { ServiceContext } from './service-context.ts';
import { deriveCsrfKey } from './sessions/csrf.ts';
import { openStorage } from './storage/open-storage.ts';
import { pruneSignInThrottles } from './throttle/sign-in-throttle.ts';

export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly context: ServiceContext;
  /** Stops accepting requests, drains those in flight, ends streams, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger: boolean | { readonly level: string };
  /** Defaults to the in-process notifier (one instance). */
  readonly notifier?: RevocationNotifier;
}

const pruneEverySec = 60;
/** How long a user's activity log reaches back. */
const activityRetentionMs = 90 * 24 * 3600 * 1000;
/** How long shutdown waits for requests in flight before cutting connections. */
const drainDeadlineMs = 10_000;

/** Opens storage, loads (or creates) the key ring, and serves the HTTP API. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions,
): Promise<RunningService> {
  const storage = await openStorage(config.databaseUrl);
  const now = () => Date.now();
  const signer = await KeyRing.open(storage, config.masterKey, now()).catch(
    async (error: unknown) => {
      await storage.close();
      throw error;
    },
  );
  await prepareDecoyHash();
  const context: ServiceContext = {
    config,
    storage,
    signer,
    notifier: options.notifier ?? createLocalNotifier(),
    now,
    csrfKey: deriveCsrfKey(config.masterKey),
  };
  const app = await buildApp(context, { logger: options.logger });
  // Housekeeping: forgettable revocation entries, spent sign-in throttles, old activity.
  const prune = setInterval(() => {
    Promise.all([
      storage.pruneRevocations(Math.floor(now() / 1000)),
      pruneSignInThrottles(storage, now()),
      storage.pruneActivity(now() - activityRetentionMs),
    ]).catch((error: unknown) => app.log.error({ err: error }, 'pruning failed'));
  }, pruneEverySec * 1000);
  prune.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  return {
    url: `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`,
    app,
    context,
    async close() {
      clearInterval(prune);
      // Requests in flight finish; a keep-alive connection that goes idle afterwards is closed
      // at once instead of holding shutdown open until its timeout; past the deadline, the rest.
      const closeIdle = setInterval(() => app.server.closeIdleConnections(), 50);
      const deadline = setTimeout(() => app.server.closeAllConnections(), drainDeadlineMs);
      try {
        await app.close();
      } finally {
        clearInterval(closeIdle);
        clearTimeout(deadline);
      }
      await storage.close();
    },
  };
}
