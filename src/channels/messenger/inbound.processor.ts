import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type QueryRunner } from 'typeorm';
import { AssignmentService } from '../../assignment/assignment.service';
import { MetricsService } from '../../common/metrics/metrics.service';
import { isTransientDatabaseError } from '../../database/pg-errors';
import { JobName, type JobData, type JobOutcome } from '../../jobs/job.catalogue';
import { JobsService } from '../../jobs/jobs.service';
import { OnJob } from '../../jobs/on-job.decorator';
import { type Channel } from '../channel.entity';
import { ChannelRepository } from '../channel.repository';
import { InboundEventState } from './inbound-event.entity';
import { InboundEventRepository, type PendingEvent } from './inbound-event.repository';
import { type ApplyResult, InboundApplier } from './inbound-applier.service';

/** Below PostgreSQL's 64 cached subtransactions per backend: one savepoint per event. */
const BATCH = 50;

/**
 * Applies a conversation's pending events in Meta's order, under a transaction-scoped
 * advisory lock, so conversations run in parallel but each one runs serially. An event and
 * its effects commit together: a crash replays nothing twice and loses nothing.
 *
 * Errors split two ways. A transient one (lock or statement timeout, deadlock, serialization,
 * connection loss) rolls the whole batch back and is rethrown, so BullMQ retries it and the
 * sweeper backs that up. Anything else is the event's own fault and would fail again: that
 * event alone is parked as `failed`, with its error, and the conversation moves on.
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
    private readonly assignment: AssignmentService,
  ) {}

  @OnJob(JobName.ProcessConversation)
  async process({ pageId, conversation }: JobData<JobName.ProcessConversation>): Promise<JobOutcome> {
    let total = 0;
    // Until nothing is left, so a long conversation backlog needs no chain of jobs.
    for (;;) {
      const applied = await this.applyBatch(pageId, conversation);
      total += applied;
      if (applied === 0) return total > 0 ? 'done' : 'skipped';
    }
  }

  /** One transaction; it commits early after opening a ticket, so the company's number lock is held briefly. */
  private async applyBatch(pageId: string, conversation: string): Promise<number> {
    const after: AfterCommit = { newContacts: [], needAgents: new Set() };
    const runner = this.dataSource.createQueryRunner();
    let handled = 0;
    try {
      await runner.startTransaction();
      const manager = runner.manager;
      await this.events.lockConversation(manager, pageId, conversation);
      const pending = await this.events.pending(manager, pageId, conversation, BATCH);
      // Route by who held the Page when Meta's event was received, not by who holds it now.
      const channels = pending.length > 0 ? await this.channels.historyOfPage(pageId, manager) : [];
      for (let i = 0; i < pending.length; ) {
        const event = pending[i];
        const channel = channelAt(channels, event.receivedAt);
        if (!channel) {
          await this.events.finish(manager, event.id, InboundEventState.Ignored, null, 'unknown_page');
          this.metrics.inboundEvent(event.kind, 'ignored');
          handled++;
          i++;
          continue;
        }
        const run = messageRun(pending, i, channel, channels);
        const opened = run.length > 1 ? await this.applyRun(runner, channel, conversation, run, after) : await this.applyOne(runner, channel, conversation, event, after);
        handled += Math.max(run.length, 1);
        i += Math.max(run.length, 1);
        if (opened) break;
      }
      await runner.commitTransaction();
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
    await this.jobs.enqueueMany(JobName.FetchProfile, after.newContacts);
    for (const companyId of after.needAgents) await this.assignment.assignAfter(companyId);
    return handled;
  }

  /**
   * A run of customer messages in a few statements. If the run fails for a reason of its own,
   * it is rolled back and applied event by event, so only the bad event is parked.
   */
  private async applyRun(runner: QueryRunner, channel: Channel, conversation: string, run: PendingEvent[], after: AfterCommit): Promise<boolean> {
    await runner.query('SAVEPOINT inbound_run');
    try {
      const result = await this.applier.applyMessageRun(runner.manager, channel, conversation, run);
      noteAfterCommit(after, channel.companyId, result);
      await this.events.finishMany(runner.manager, run.map((event) => event.id), InboundEventState.Processed, channel.companyId);
      await runner.query('RELEASE SAVEPOINT inbound_run');
      for (const event of run) this.metrics.inboundEvent(event.kind, 'processed');
      return result.openedTicket === true;
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT inbound_run');
      await runner.query('RELEASE SAVEPOINT inbound_run');
      let opened = false;
      for (const event of run) opened = (await this.applyOne(runner, channel, conversation, event, after)) || opened;
      return opened;
    }
  }

  /** Returns true when the event opened a ticket. */
  private async applyOne(runner: QueryRunner, channel: Channel, conversation: string, event: PendingEvent, after: AfterCommit): Promise<boolean> {
    await runner.query('SAVEPOINT inbound_event');
    try {
      const result = await this.applier.apply(runner.manager, channel, conversation, event);
      noteAfterCommit(after, channel.companyId, result);
      await this.events.finish(runner.manager, event.id, InboundEventState.Processed, channel.companyId);
      await runner.query('RELEASE SAVEPOINT inbound_event');
      this.metrics.inboundEvent(event.kind, 'processed');
      return result.openedTicket === true;
    } catch (error) {
      if (isTransientDatabaseError(error)) throw error;
      await runner.query('ROLLBACK TO SAVEPOINT inbound_event');
      this.logger.error({ err: error, eventId: event.id, kind: event.kind }, 'Inbound event failed');
      await this.events.finish(runner.manager, event.id, InboundEventState.Failed, channel.companyId, (error as Error).message);
      this.metrics.inboundEvent(event.kind, 'failed');
      return false;
    }
  }
}

/** What a batch does once it has committed: fetch new contacts' profiles, assign tickets that need an agent. */
interface AfterCommit {
  newContacts: Array<{ companyId: string; contactId: string }>;
  needAgents: Set<string>;
}

function noteAfterCommit(after: AfterCommit, companyId: string, result: ApplyResult): void {
  if (result.newContactId) after.newContacts.push({ companyId, contactId: result.newContactId });
  if (result.needsAgent) after.needAgents.add(companyId);
}

/** Consecutive customer messages from index `from`, all routed to the same channel. */
function messageRun(pending: PendingEvent[], from: number, channel: Channel, channels: Channel[]): PendingEvent[] {
  const run: PendingEvent[] = [];
  for (let i = from; i < pending.length && pending[i].kind === 'message' && channelAt(channels, pending[i].receivedAt) === channel; i++) run.push(pending[i]);
  return run;
}

/** Meta may deliver events between subscribing the app and storing the channel row. */
const CONNECT_GRACE_MS = 60_000;

function channelAt(channels: Channel[], receivedAt: Date): Channel | undefined {
  const at = new Date(receivedAt).getTime();
  const open = (c: Channel) => c.disconnectedAt === null || c.disconnectedAt.getTime() > at;
  return channels.find((c) => c.createdAt.getTime() <= at && open(c)) ?? channels.find((c) => c.createdAt.getTime() - CONNECT_GRACE_MS <= at && open(c));
}
