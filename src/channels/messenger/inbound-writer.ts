import { Injectable, Logger } from '@nestjs/common';
import { JobName } from '../../jobs/job.catalogue';
import { JobsService } from '../../jobs/jobs.service';
import { InboundEventRepository } from './inbound-event.repository';
import { type ParsedEvent } from './messenger-events';

interface Waiting {
  events: ParsedEvent[];
  resolve: (stored: number) => void;
  reject: (error: unknown) => void;
}

/** Enough to amortise a commit, small enough that one INSERT stays well under PostgreSQL's parameter limits. */
const MAX_EVENTS_PER_WRITE = 5_000;

const keyOf = (pageId: string, dedupeKey: string): string => `${pageId}\u0000${dedupeKey}`;

/**
 * Group commit for the webhook's hot path. While one write is in flight, the POSTs that
 * arrive queue up and go in the next write together: one INSERT, one commit and one Redis
 * round trip for many webhooks. Idle, a POST is written at once, so nothing waits on a timer.
 * Each POST is answered only after the write holding its events has committed.
 */
@Injectable()
export class InboundWriter {
  private readonly logger = new Logger(InboundWriter.name);
  private readonly waiting: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly events: InboundEventRepository,
    private readonly jobs: JobsService,
  ) {}

  /** Makes the events durable; resolves with how many were new (the rest were replays). */
  write(events: ParsedEvent[]): Promise<number> {
    if (events.length === 0) return Promise.resolve(0);
    return new Promise((resolve, reject) => {
      this.waiting.push({ events, resolve, reject });
      if (!this.writing) void this.drain();
    });
  }

  private async drain(): Promise<void> {
    this.writing = true;
    try {
      while (this.waiting.length > 0) await this.writeBatch(this.take());
    } finally {
      this.writing = false;
    }
  }

  private take(): Waiting[] {
    let count = 0;
    let n = 0;
    while (n < this.waiting.length && (n === 0 || count + this.waiting[n].events.length <= MAX_EVENTS_PER_WRITE)) count += this.waiting[n++].events.length;
    return this.waiting.splice(0, n);
  }

  private async writeBatch(batch: Waiting[]): Promise<void> {
    try {
      await this.insert(batch);
    } catch (error) {
      // Whatever failed, every POST of the batch gets an answer: a 5xx, and Meta sends it again.
      for (const waiting of batch) waiting.reject(error);
    }
  }

  private async insert(batch: Waiting[]): Promise<void> {
    const inserted = await this.events.insertNew(batch.flatMap((waiting) => waiting.events));
    const conversations = new Map(inserted.map((row) => [`${row.pageId}\u0000${row.conversation}`, { pageId: row.pageId, conversation: row.conversation }]));
    try {
      await this.jobs.enqueueMany(JobName.ProcessConversation, [...conversations.values()]);
    } catch (error) {
      // Already durable: the sweeper finds pending events whose job never made it to Redis.
      this.logger.warn({ err: error }, 'Could not enqueue inbound processing; the sweeper will pick the events up');
    }
    // Each inserted row is credited once, to the first POST (in arrival order) that carried it;
    // later copies in the same write are duplicates, as they would have been one write later.
    const fresh = new Set(inserted.map((row) => keyOf(row.pageId, row.dedupeKey)));
    const counts = batch.map((waiting) => waiting.events.filter((event) => fresh.delete(keyOf(event.pageId, event.dedupeKey))).length);
    batch.forEach((waiting, i) => waiting.resolve(counts[i]));
  }
}
