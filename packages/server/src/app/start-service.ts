import type { FastifyInstance } from 'fastify';
import { createActivityRecorder } from '../activity/activity-recorder.ts';
import { KeyRing } from '../keys/key-ring.ts';
import { startBackchannelWorker } from '../logout/backchannel-worker.ts';
import { type Clock, systemClock } from '../platform/clock.ts';
import type { ServiceConfig } from '../platform/config/config.ts';
import { prepareDecoyHash } from '../platform/crypto/password.ts';
import { urlHostOf } from '../platform/url.ts';
import { createLocalNotifier, type RevocationNotifier } from '../revocation/revocation-notifier.ts';
import { deriveCsrfKey } from '../sessions/csrf.ts';
import { type AppOptions, buildApp } from './build-app.ts';
import { runHousekeeping } from './housekeeping.ts';
import { openServiceDatabase } from './open-service-database.ts';
import type { ServiceContext } from './service-context.ts';

export interface RunningService {
  /** Where it listens, e.g. http://127.0.0.1:4000 */
  readonly url: string;
  readonly app: FastifyInstance;
  readonly context: ServiceContext;
  /** Stops accepting requests, drains those in flight, ends streams, closes the database. */
  close(): Promise<void>;
}

export interface StartOptions {
  readonly logger: AppOptions['logger'];
  /** Defaults to the in-process notifier (one instance). */
  readonly notifier?: RevocationNotifier;
  /** Defaults to the system clock; tests pass one they can move. */
  readonly clock?: Clock;
}

const pruneEverySec = 60;
/** How long shutdown waits for requests in flight before cutting connections. */
const drainDeadlineMs = 10_000;

/** Opens the database, loads (or creates) the key ring, and serves the HTTP API. */
export async function startService(
  config: ServiceConfig,
  options: StartOptions,
): Promise<RunningService> {
  const database = await openServiceDatabase(config.databaseUrl);
  const { db } = database;
  const clock = options.clock ?? systemClock;
  const signer = await KeyRing.open(db, config.masterKey, clock.nowMs()).catch(
    async (error: unknown) => {
      await database.close();
      throw error;
    },
  );
  await prepareDecoyHash();
  const context: ServiceContext = {
    config,
    db,
    clock,
    signer,
    keyRing: signer,
    notifier: options.notifier ?? createLocalNotifier(),
    csrfKey: deriveCsrfKey(config.masterKey),
    activity: createActivityRecorder({
      db,
      onError: (error) => app.log.error({ err: error }, 'writing activity failed'),
    }),
  };
  const app = await buildApp(context, { logger: options.logger });
  // Back-Channel Logout: delivers the outbox the revoking transactions write.
  const backchannel = startBackchannelWorker(context, {
    onError: (error) => app.log.error({ err: error }, 'back-channel logout delivery failed'),
  });
  // Housekeeping (app/housekeeping.ts): every table that grows with use is pruned here.
  const prune = setInterval(() => {
    runHousekeeping(context).catch((error: unknown) =>
      app.log.error({ err: error }, 'pruning failed'),
    );
  }, pruneEverySec * 1000);
  prune.unref();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  return {
    url: `http://${urlHostOf(config.host)}:${port}`,
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
      // After the requests drained, so every entry they queued is written.
      await context.activity.close();
      await backchannel.close();
      await database.close();
    },
  };
}
