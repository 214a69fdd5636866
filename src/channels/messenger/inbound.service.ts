import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../../common/metrics/metrics.service';
import { JobName } from '../../jobs/job.catalogue';
import { JobsService } from '../../jobs/jobs.service';
import { InboundEventRepository } from './inbound-event.repository';
import { parseMessengerBatch } from './messenger-events';

export interface IngestResult {
  stored: number;
  duplicates: number;
  skipped: number;
}

/**
 * The webhook's hot path: parse, make durable, hand off. Nothing here waits on Graph or on
 * ticket logic, so Meta gets its 200 as soon as PostgreSQL has the events.
 */
@Injectable()
export class InboundService {
  private readonly logger = new Logger(InboundService.name);

  constructor(
    private readonly events: InboundEventRepository,
    private readonly jobs: JobsService,
    private readonly metrics: MetricsService,
  ) {}

  async ingest(body: unknown): Promise<IngestResult> {
    const { events, skipped } = parseMessengerBatch(body);
    for (const item of skipped) {
      this.logger.warn({ ...item }, 'Ignored webhook item');
      this.metrics.webhookEvent(item.reason);
    }
    const inserted = await this.events.insertNew(events);
    this.metrics.webhookEvent('stored', inserted.length);
    this.metrics.webhookEvent('duplicate', events.length - inserted.length);

    const conversations = new Map(inserted.map((row) => [`${row.pageId}\u0000${row.conversation}`, row]));
    try {
      await this.jobs.enqueueMany(JobName.ProcessConversation, [...conversations.values()]);
    } catch (error) {
      // Already durable: the sweeper finds pending events whose job never made it to Redis.
      this.logger.warn({ err: error }, 'Could not enqueue inbound processing; the sweeper will pick the events up');
    }
    return { stored: inserted.length, duplicates: events.length - inserted.length, skipped: skipped.length };
  }
}
