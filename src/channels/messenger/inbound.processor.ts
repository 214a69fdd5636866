import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MetricsService } from '../../common/metrics/metrics.service';
import { JobName, type JobData, type JobOutcome } from '../../jobs/job.catalogue';
import { JobsService } from '../../jobs/jobs.service';
import { OnJob } from '../../jobs/on-job.decorator';
import { ChannelRepository } from '../channel.repository';
import { InboundEventState } from './inbound-event.entity';
import { InboundEventRepository } from './inbound-event.repository';
import { InboundApplier } from './inbound-applier.service';

const BATCH = 200;

/**
 * Applies a conversation's pending events in Meta's order, under a transaction-scoped
 * advisory lock, so conversations run in parallel but each one runs serially. An event and
 * its effects commit together: a crash replays nothing twice and loses nothing.
 */
@Injectable()
export class InboundProcessor {
  private readonly logger = new Logger(InboundProcessor.name);

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly events: InboundEventRepository,
    private readonly channels: ChannelRepository,
    private readonly applier: InboundApplier,
    private readonly jobs: JobsService,
    private readonly metrics: MetricsService,
  ) {}

  @OnJob(JobName.ProcessConversation)
  async process({ pageId, conversation }: JobData<JobName.ProcessConversation>): Promise<JobOutcome> {
    const newContacts: Array<{ companyId: string; contactId: string }> = [];
    const runner = this.dataSource.createQueryRunner();
    let handled = 0;
    try {
      await runner.startTransaction();
      const manager = runner.manager;
      await this.events.lockConversation(manager, pageId, conversation);
      const pending = await this.events.pending(manager, pageId, conversation, BATCH);
      handled = pending.length;
      const channel = pending.length > 0 ? await this.channels.findConnectedByPage(pageId, manager) : null;
      for (const event of pending) {
        if (!channel) {
          await this.events.finish(manager, event.id, InboundEventState.Ignored, null, 'unknown_page');
          this.metrics.inboundEvent(event.kind, 'ignored');
          continue;
        }
        await runner.query('SAVEPOINT inbound_event');
        try {
          const result = await this.applier.apply(manager, channel, conversation, event);
          if (result.newContactId) newContacts.push({ companyId: channel.companyId, contactId: result.newContactId });
          await this.events.finish(manager, event.id, InboundEventState.Processed, channel.companyId);
          this.metrics.inboundEvent(event.kind, 'processed');
        } catch (error) {
          // One bad event must not hold back the rest of the conversation: park it with its error.
          await runner.query('ROLLBACK TO SAVEPOINT inbound_event');
          this.logger.error({ err: error, eventId: event.id, kind: event.kind }, 'Inbound event failed');
          await this.events.finish(manager, event.id, InboundEventState.Failed, channel.companyId, (error as Error).message);
          this.metrics.inboundEvent(event.kind, 'failed');
        }
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
    await this.jobs.enqueueMany(JobName.FetchProfile, newContacts);
    if (handled === BATCH) await this.jobs.enqueue(JobName.ProcessConversation, { pageId, conversation });
    return handled > 0 ? 'done' : 'skipped';
  }
}
