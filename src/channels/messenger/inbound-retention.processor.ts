import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { JobName, type JobOutcome } from '../../jobs/job.catalogue';
import { OnJob } from '../../jobs/on-job.decorator';
import { InboundEventRepository } from './inbound-event.repository';

/** Keeps raw webhook events only as long as replays and investigations need them. */
@Injectable()
export class InboundRetentionProcessor {
  private readonly logger = new Logger(InboundRetentionProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: InboundEventRepository,
  ) {}

  @OnJob(JobName.PruneInboundEvents)
  async prune(): Promise<JobOutcome> {
    const removed = await this.events.pruneFinished(this.config.inbound.retentionMs);
    if (removed > 0) this.logger.log({ removed }, 'Pruned finished inbound events');
    return removed > 0 ? 'done' : 'skipped';
  }
}
