import 'reflect-metadata';
import { createApp } from './app.factory';
import { ConfigError, loadConfig, Role } from './config/config';
import { createLogger } from './common/logging/logger';
import { migrate } from './database/migrate';
import { drainAndClose } from './shutdown';

/**
 * One entry point for every role. Migrations run before anything else, and only in roles
 * that serve the API: workers must never race a schema change.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(78);
    }
    throw error;
  }
  const logger = createLogger(config.logLevel);

  if (config.role !== Role.Worker && !config.database.skipMigrations) {
    const applied = await migrate(config);
    logger.info({ applied }, applied.length > 0 ? 'Applied migrations' : 'Schema up to date');
  }

  const app = await createApp(config, { logger });
  await app.listen({ host: config.http.host, port: config.http.port });
  logger.info({ role: config.role, port: config.http.port }, 'Guichet started');

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal, deadlineMs: config.shutdownTimeoutMs }, 'Shutting down: finishing in-flight requests and jobs');
    const deadline = setTimeout(() => {
      logger.error({ deadlineMs: config.shutdownTimeoutMs }, 'Shutdown deadline passed; exiting with work still in flight');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    drainAndClose(app, config).then(
      () => {
        logger.info('Shut down cleanly');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error({ err: error }, 'Shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main().catch((error: unknown) => {
  console.error('Guichet failed to start:', error);
  process.exit(1);
});
