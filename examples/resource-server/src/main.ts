import { ConfigurationError } from '@writ/verify';
import type { FastifyInstance } from 'fastify';
import { buildApp } from './app.ts';
import { readConfig } from './config.ts';

/** How long in-flight requests get to finish after SIGINT/SIGTERM before the process gives up. */
const shutdownGraceMs = 10_000;

function fail(message: string): void {
  console.error(`resource-server: ${message}`);
  process.exitCode = 1;
}

function closeOnSignals(app: FastifyInstance): void {
  let closing = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    // Ctrl+C reaches both npm and this process, and npm forwards it: expect the signal twice.
    if (closing) return;
    closing = true;
    app.log.info({ signal }, 'shutting down');
    setTimeout(() => {
      app.log.error('shutdown took too long, exiting');
      process.exit(1);
    }, shutdownGraceMs).unref();
    app.close().then(
      () => app.log.info('closed'),
      (error: unknown) => {
        app.log.error({ err: error }, 'error while closing');
        process.exitCode = 1;
      },
    );
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
}

async function main(): Promise<void> {
  const result = readConfig(process.env);
  if (!result.ok) {
    for (const error of result.errors) fail(error);
    return;
  }
  const { config } = result;
  let app: FastifyInstance;
  try {
    app = buildApp(config);
  } catch (error) {
    if (!(error instanceof ConfigurationError)) throw error;
    fail(`invalid configuration: ${error.message}`);
    return;
  }
  closeOnSignals(app);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    fail(`cannot listen on ${config.host}:${config.port} (${code})`);
    await app.close();
  }
}

await main();
