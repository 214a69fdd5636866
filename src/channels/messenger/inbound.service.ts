import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '../../common/metrics/metrics.service';
import { InboundWriter } from './inbound-writer';
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
    private readonly writer: InboundWriter,
    private readonly metrics: MetricsService,
  ) {}

  async ingest(body: unknown): Promise<IngestResult> {
    const { events, skipped } = parseMessengerBatch(body);
    for (const item of skipped) {
      this.logger.warn({ ...item }, 'Ignored webhook item');
      this.metrics.webhookEvent(item.reason);
    }
    const stored = await this.writer.write(events);
    this.metrics.webhookEvent('stored', stored);
    this.metrics.webhookEvent('duplicate', events.length - stored);
    return { stored, duplicates: events.length - stored, skipped: skipped.length };
  }
}
