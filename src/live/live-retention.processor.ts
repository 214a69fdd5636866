import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { JobName, type JobOutcome } from '../jobs/job.catalogue';
import { OnJob } from '../jobs/on-job.decorator';
import { LiveEventsRepository } from './live-events.repository';

/** Keeps the live feed as long as a reconnecting client may ask for it (LIVE_EVENTS_RETENTION). */
@Injectable()
export class LiveRetentionProcessor {
  private readonly logger = new Logger(LiveRetentionProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: LiveEventsRepository,
  ) {}

  @OnJob(JobName.PruneLiveEvents)
  async prune(): Promise<JobOutcome> {
    const removed = await this.events.prune(this.config.live.retentionMs);
    if (removed > 0) this.logger.log({ removed }, 'Pruned live events');
    return removed > 0 ? 'done' : 'skipped';
  }
}
