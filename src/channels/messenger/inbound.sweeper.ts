import { Inject, Injectable, Logger } from '@nestjs/common';
import { type AppConfig } from '../../config/config';
import { APP_CONFIG } from '../../config/config.module';
import { JobName, RECURRING_JOBS } from '../../jobs/job.catalogue';
import { JobsService } from '../../jobs/jobs.service';
import { SweepTimer } from '../../jobs/sweep-timer';
import { ContactRepository } from '../../contacts/contact.repository';
import { InboundEventRepository } from './inbound-event.repository';

/**
 * PostgreSQL is the source of truth for what still has to be processed. This timer, in every
 * worker process, re-enqueues conversations whose pending events lost their job (a Redis
 * restart or FLUSHALL, a crash between commit and enqueue). It is a timer, not a BullMQ
 * repeatable job, precisely so that it survives Redis losing everything; it also puts the
 * recurring jobs back for the same reason, and retries profile fetches that never ran.
 */
@Injectable()
export class InboundSweeper extends SweepTimer {
  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly events: InboundEventRepository,
    private readonly jobs: JobsService,
    private readonly contacts: ContactRepository,
  ) {
    super(config.role, config.inbound.sweepIntervalMs, new Logger(InboundSweeper.name));
  }

  async sweep(): Promise<number> {
    const stalled = await this.events.stalledConversations(this.config.inbound.sweepAgeMs, 1_000);
    await this.jobs.enqueueMany(JobName.ProcessConversation, stalled);
    await this.jobs.enqueueMany(JobName.FetchProfile, await this.contacts.pendingProfiles(this.config.inbound.sweepAgeMs, 200));
    for (const { name, everyMs } of RECURRING_JOBS) await this.jobs.schedule(name, {}, everyMs);
    if (stalled.length > 0) this.logger.log({ conversations: stalled.length }, 'Re-enqueued stalled inbound conversations');
    return stalled.length;
  }
}
