import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { startDraining } from './common/http/fastify-setup';
import { type AppConfig, runsWorkers } from './config/config';
import { JobsWorker } from './jobs/jobs.worker';

/**
 * Stops taking work at once on both fronts (the listener closes, workers fetch no new job),
 * waits for what is in flight, then lets Nest close connections. Nest alone would drain the
 * workers first and keep accepting requests meanwhile.
 */
export async function drainAndClose(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  startDraining(app.getHttpAdapter().getInstance());
  await Promise.all([
    app.getHttpAdapter().close(),
    runsWorkers(config.role) ? app.get(JobsWorker).drain() : Promise.resolve(),
  ]);
  await app.close();
}
