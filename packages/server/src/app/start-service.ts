import type { FastifyInstance } from 'fastify';
import { createActivityRecorder } from '../activity/activity-recorder.ts';
import { KeyRing } from '../keys/key-ring.ts';
import { openKeyCustody } from '../keys/open-key-custody.ts';
import { rotationTimes } from '../keys/rotation-schedule.ts';
import { releaseRotationLease, runScheduledRotation } from '../keys/scheduled-rotation.ts';
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
  // The ring follows the store (other instances, the CLI); failures are logged once the app exists.
  let logKeyRingError = (_error: unknown): void => {};
  const signer = await openKeyCustody(config)
    .then((custody) =>
      KeyRing.open({
        db,
        custody,
        clock,
        signingAlgorithms: config.signingAlgorithms,
        audienceAlgorithms: config.audienceAlgorithms,
        onFollowError: (error) => logKeyRingError(error),
      }),
    )
    .catch(async (error: unknown) => {
      await database.close();
      throw error;
    });
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
  // Scheduled key rotation (keys/scheduled-rotation.ts): one lease-guarded step, every tenth of
  // a rotation period (1 s to 60 s), the first at start-up.
  logKeyRingError = (error) => app.log.error({ err: error }, 'following the key ring failed');
  let rotating: Promise<unknown> | undefined;
  const rotateKeys = (): void => {
    rotating ??= runScheduledRotation(context)
      .catch((error: unknown) => app.log.error({ err: error }, 'scheduled key rotation failed'))
      .finally(() => {
        rotating = undefined;
      });
  };
  const rotation = setInterval(rotateKeys, rotationTimes(config.keyRotationPeriodSec).stepEveryMs);
  rotation.unref();
  rotateKeys();
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.port;
  return {
    url: `http://${urlHostOf(config.host)}:${port}`,
    app,
    context,
    async close() {
      clearInterval(prune);
      clearInterval(rotation);
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
      await rotating;
      await releaseRotationLease(context).catch(() => {});
      await context.keyRing.close();
      await database.close();
    },
  };
}
