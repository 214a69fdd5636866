import { type NestFastifyApplication } from '@nestjs/platform-fastify';
import { startDraining } from './common/http/fastify-setup';
import { type AppConfig, runsHttpApi, runsWorkers } from './config/config';
import { JobsWorker } from './jobs/jobs.worker';
import { LiveEventsService } from './live/live-events.service';

/**
 * Stops taking work at once on both fronts (the listener closes, workers fetch no new job),
 * waits for what is in flight, then lets Nest close connections. Nest alone would drain the
 * workers first and keep accepting requests meanwhile.
 */
export async function drainAndClose(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  startDraining(app.getHttpAdapter().getInstance());
  // Live streams never finish on their own: the server would wait for them until the timeout.
  if (runsHttpApi(config.role)) app.get(LiveEventsService).closeAll();
  await Promise.all([
    app.getHttpAdapter().close(),
    runsWorkers(config.role) ? app.get(JobsWorker).drain() : Promise.resolve(),
  ]);
  await app.close();
}
