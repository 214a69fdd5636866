import { Inject, Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { setTimeout as sleep } from 'node:timers/promises';
import { type AppConfig } from '../config/config';
import { APP_CONFIG } from '../config/config.module';
import { MetricsService } from '../common/metrics/metrics.service';
import { type Channel, ChannelStatus } from '../channels/channel.entity';
import { ChannelRepository } from '../channels/channel.repository';
import { ChannelTokenService, ChannelUnavailableError } from '../channels/channel-token.service';
import { ConsentRepository } from '../contacts/consent.repository';
import { JobName, type JobData, type JobOutcome, type PageLane } from '../jobs/job.catalogue';
import { JobsService } from '../jobs/jobs.service';
import { OnJob } from '../jobs/on-job.decorator';
import { Lane } from './delivery.entity';
import { type ClaimedDelivery, DeliveryRepository, type SentRecord } from './delivery.repository';
import { classifySendFailure } from './graph-errors';
import { LANE_JOB } from './outbox.service';
import { PageLimiter } from './page-limiter';
import { decide, type PolicyDecision } from './policy';
import { SendApiClient } from './send-api.client';

/** How late a sender may wake for its slot and still use it. */
const LATE_SLOT_MS = 5;

/** One Page's lane being served by this process: what its parallel senders share. */
interface Run {
  channel: Channel;
  lane: Lane;
  token: string;
  /** The sealed token this run uses: a refusal of it must not undo an admin's replacement. */
  envelope: string | null;
  deadline: number;
  /** Set when the Page must stop now: paused by Meta, or its channel held. */
  stopped: boolean;
  /** Set when a sender found nothing left to claim. */
  drained: boolean;
  senders: Array<Promise<void>>;
  maxSenders: number;
}

/**
 * Serves one Page's lane for a time slice, then yields the slot to the next Page (fairness
 * across Pages and so companies). Within the slice, parallel senders each take a rate token,
 * lease one delivery, decide again, compose the Graph request and send it.
 */
@Injectable()
export class DeliveryProcessor {
  private readonly logger = new Logger(DeliveryProcessor.name);

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly deliveries: DeliveryRepository,
    private readonly channels: ChannelRepository,
    private readonly tokens: ChannelTokenService,
    private readonly consents: ConsentRepository,
    private readonly limiter: PageLimiter,
    private readonly client: SendApiClient,
    private readonly jobs: JobsService,
    private readonly metrics: MetricsService,
  ) {
    this.sent = new SentBatch((rows) => this.deliveries.markSent(rows));
  }

  private readonly sent: SentBatch;

  @OnJob(JobName.SendAgentReplies)
  agentReplies(data: JobData<JobName.SendAgentReplies>): Promise<JobOutcome> {
    return this.serve(data, Lane.AgentReply);
  }

  @OnJob(JobName.SendTransactional)
  transactional(data: JobData<JobName.SendTransactional>): Promise<JobOutcome> {
    return this.serve(data, Lane.Transactional);
  }

  @OnJob(JobName.SendPromotions)
  promotions(data: JobData<JobName.SendPromotions>): Promise<JobOutcome> {
    return this.serve(data, Lane.Promotion);
  }

  private async serve({ companyId, channelId }: PageLane, lane: Lane): Promise<JobOutcome> {
    const channel = await this.channels.findById(companyId, channelId);
    // Held (needs_reauth, restricted) or paused channels keep their deliveries queued; the sweeper wakes them.
    if (!channel || channel.status !== ChannelStatus.Active) return 'skipped';
    if (channel.sendPausedUntil && channel.sendPausedUntil.getTime() > Date.now()) return 'skipped';
    let token: string;
    try {
      token = await this.tokens.open(companyId, channelId);
    } catch (error) {
      if (error instanceof ChannelUnavailableError) return 'skipped';
      throw error;
    }
    const envelope = await this.channels.encryptedToken(companyId, channelId);
    const run: Run = { channel, lane, token, envelope, deadline: Date.now() + this.config.delivery.sliceMs, stopped: false, drained: false, senders: [], maxSenders: 0 };
    const rate = lane === Lane.Promotion ? this.config.delivery.promotionRate : this.config.delivery.pageRate;
    // Enough calls in flight to fill the rate at a 250 ms Graph latency, and no more; one reply needs one.
    run.maxSenders = Math.max(1, Math.min(this.config.delivery.pageConcurrency, Math.ceil(rate / 4)));
    this.addSender(run);
    // Senders join as claims succeed, so the array grows while it is awaited.
    for (let i = 0; i < run.senders.length; i++) await run.senders[i];
    // The slice ended with work left: queue behind the other Pages rather than keep the slot.
    if (!run.drained && !run.stopped) await this.jobs.enqueue(LANE_JOB[lane], { companyId, channelId });
    return 'done';
  }

  private addSender(run: Run): void {
    if (run.senders.length < run.maxSenders) run.senders.push(this.sender(run));
  }

  private async sender(run: Run): Promise<void> {
    while (!run.stopped && !run.drained && Date.now() < run.deadline) {
      const delivery = await this.deliveries.claim(run.channel.companyId, run.channel.id, run.lane, this.config.delivery.leaseMs);
      if (!delivery) {
        // Nothing claimable while a call is in flight: its outcome may unblock the contact's next message.
        if (!(await this.deliveries.inFlight(run.channel.companyId, run.channel.id, run.lane))) {
          run.drained = true;
          return;
        }
        await sleep(20);
        continue;
      }
      // Work was there: one more sender, up to the Page's share.
      this.addSender(run);
      try {
        await this.sendOne(run, delivery);
      } catch (error) {
        // Our own failure (PostgreSQL, a bug), not Meta's: the lease expires and the sweeper makes it unknown.
        this.logger.error({ err: error, deliveryId: delivery.id }, 'Delivery send crashed');
        run.stopped = true;
      }
    }
  }

  /**
   * Waits for this call's slot in the Page's pace; false when the Page was paused meanwhile (here
   * or by another process), the slice ran out, or no slot came within two seconds: the caller
   * puts the delivery back rather than hold its lease.
   */
  private async admitted(run: Run, media: boolean): Promise<boolean> {
    const giveUpAt = Date.now() + 2_000;
    for (;;) {
      if (run.stopped || Date.now() >= Math.min(run.deadline, giveUpAt)) return false;
      let slot: Awaited<ReturnType<PageLimiter['reserve']>>;
      try {
        slot = await this.limiter.reserve(run.channel.pageId, run.lane, media);
      } catch (error) {
        this.logger.warn({ err: error }, 'Rate limiter unavailable');
        slot = { retryInMs: 500 };
      }
      if ('delayMs' in slot) {
        if (slot.delayMs <= 0) return true;
        const due = Date.now() + slot.delayMs;
        await sleep(slot.delayMs);
        // Woken late (a busy event loop): going now would bunch this call with the next slots,
        // which is how a paced stream ends up over the limit at Meta. Take a fresh slot instead.
        if (Date.now() - due > LATE_SLOT_MS) continue;
        // Meta may have paused the Page while we slept, answering another call or another process.
        if (run.stopped || (await this.limiter.pausedFor(run.channel.pageId).catch(() => 0)) > 0) {
          run.stopped = true;
          return false;
        }
        return true;
      }
      // Longer than a second means Meta paused the Page: give the slot to another Page.
      if (slot.retryInMs > 1_000) {
        run.stopped = true;
        return false;
      }
      await sleep(slot.retryInMs + Math.random() * 2);
    }
  }

  private async sendOne(run: Run, d: ClaimedDelivery): Promise<void> {
    const companyId = d.companyId;
    const context = await this.deliveries.sendContext(companyId, d.contactId);
    const decision = decide({
      purpose: d.purpose,
      now: new Date(),
      lastInteractionAt: context.lastInteractionAt,
      channel: { status: run.channel.status, humanAgentEnabled: run.channel.humanAgentEnabled, utilityTemplates: run.channel.utilityTemplates, marketingMessagesEnabled: run.channel.marketingMessagesEnabled },
      consent: context,
      utilityTemplate: d.utilityTemplate ?? undefined,
    });
    if (!decision.allowed) {
      // A window that closed while the message waited: skipped with the rule, never sent illegally.
      await this.deliveries.skip(companyId, d.id, d.leaseId, decision.code, decision.reason, { ...decision, decidedAt: new Date().toISOString() });
      this.metrics.delivery(run.lane, run.channel.pageId, 'skipped', decision.code);
      return;
    }
    const request = composeRequest(d, decision, context.marketingToken);
    // The slot is taken last, right before the call: work done after it would arrive at Meta
    // late and bunched with the next slots. A worker killed while waiting holds a lease, which
    // the sweeper turns into `unknown`; promotions reserve at most two slots ahead, so that
    // window is a few milliseconds.
    if (!(await this.admitted(run, d.media))) {
      await this.deliveries.requeue(companyId, d.id, d.leaseId, 0, false, null);
      return;
    }
    // Settled meanwhile (an echo of an earlier attempt, the sweeper): no call.
    const { graphConnectTimeoutMs, graphTimeoutMs } = this.config.messenger;
    if (!(await this.deliveries.dispatch(companyId, d.id, d.leaseId, graphConnectTimeoutMs + graphTimeoutMs + 5_000))) return;
    const outcome = await this.client.send(run.channel.pageId, run.token, request);
    const evidence = { ...decision, decidedAt: new Date().toISOString() };
    if (outcome.ok) {
      await this.sent.record({ companyId, id: d.id, mid: outcome.mid, sendDecision: evidence, messagingType: (request.messaging_type as string | undefined) ?? null, tag: (request.tag as string | undefined) ?? null });
      this.metrics.delivery(run.lane, run.channel.pageId, 'sent');
      return;
    }
    await this.onFailure(run, d, classifySendFailure(outcome.failure), outcome.message);
  }

  private async onFailure(run: Run, d: ClaimedDelivery, c: ReturnType<typeof classifySendFailure>, message: string): Promise<void> {
    const { companyId } = d;
    const failure = { code: c.code, subcode: c.subcode, reason: `${c.reason} Meta said: ${message}` };
    const label = c.code === null ? c.action : `${c.code}${c.subcode === null ? '' : `/${c.subcode}`}`;
    this.metrics.delivery(run.lane, run.channel.pageId, c.action === 'unknown' ? 'unknown' : c.action === 'fail' ? 'failed' : c.action, label);
    switch (c.action) {
      case 'retry': {
        if (d.attempts >= this.config.delivery.maxAttempts) return this.deliveries.fail(companyId, d.id, d.leaseId, failure);
        // Exponential with full jitter, so a Page's retries do not come back as one burst.
        const delay = this.config.delivery.retryBaseMs * 2 ** (d.attempts - 1) * (0.5 + Math.random() / 2);
        return this.deliveries.requeue(companyId, d.id, d.leaseId, delay, true, failure);
      }
      case 'pause_page': {
        const ms = (c.pauseSeconds ?? 60) * 1_000;
        run.stopped = true;
        await this.limiter.pause(run.channel.pageId, ms).catch(() => undefined);
        await this.channels.pauseSending(companyId, run.channel.id, ms);
        this.logger.warn({ pageId: run.channel.pageId, seconds: ms / 1000, code: c.code }, 'Meta asked the Page to slow down; paused');
        return this.deliveries.requeue(companyId, d.id, d.leaseId, ms, false, failure);
      }
      case 'hold_channel': {
        run.stopped = true;
        // Only if the refused token is still the stored one: an admin may have replaced it since.
        if (run.envelope !== null) {
          await this.channels.setStatusIfToken(companyId, run.channel.id, run.envelope, c.channelStatus === 'restricted' ? ChannelStatus.Restricted : ChannelStatus.NeedsReauth, failure.reason.slice(0, 300));
        }
        return this.deliveries.requeue(companyId, d.id, d.leaseId, 0, false, failure);
      }
      case 'fail':
        if (c.recordsOptOut) await this.consents.optOut(this.dataSource.manager, companyId, run.channel.id, d.contactId, 'person_unavailable', new Date());
        return this.deliveries.fail(companyId, d.id, d.leaseId, failure);
      case 'unknown':
        return this.deliveries.markUnknown(companyId, d.id, d.leaseId, failure.reason);
    }
  }
}

/** The Graph request for one delivery under the decision taken just now; metadata carries our id for the echo. */
export function composeRequest(d: ClaimedDelivery, decision: Extract<PolicyDecision, { allowed: true }>, marketingToken: string | null): Record<string, unknown> {
  const message = { ...d.payload, metadata: d.id };
  switch (decision.mode) {
    case 'RESPONSE':
    case 'UPDATE':
      return { recipient: { id: d.psid }, messaging_type: decision.messagingType, message };
    case 'MESSAGE_TAG':
      return { recipient: { id: d.psid }, messaging_type: 'MESSAGE_TAG', tag: decision.tag, message };
    case 'UTILITY_TEMPLATE':
      // ⚠ Meta's utility-message payload is not confirmed in our sources (messenger-platform.md §4.3).
      return { recipient: { id: d.psid }, messaging_type: 'UTILITY', message };
    case 'MARKETING_MESSAGE':
      return { recipient: { notification_messages_token: marketingToken }, message };
  }
}

/**
 * Successful sends are recorded in batches: one UPDATE, one commit, for all the answers that
 * arrived within a few milliseconds, which is most of the database work of a busy Page. Losing a
 * batch (the process dies) leaves its deliveries dispatched and leased: they become unknown and
 * are settled by their echoes, exactly as if the process had died before the answer.
 */
class SentBatch {
  private pending: Array<{ row: SentRecord; done: () => void; failed: (error: unknown) => void }> = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly flushRows: (rows: SentRecord[]) => Promise<void>) {}

  record(row: SentRecord): Promise<void> {
    return new Promise((done, failed) => {
      this.pending.push({ row, done, failed });
      if (this.pending.length >= SENT_BATCH_MAX) void this.flush();
      else this.timer ??= setTimeout(() => void this.flush(), SENT_BATCH_WAIT_MS);
    });
  }

  private async flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.pending;
    this.pending = [];
    if (batch.length === 0) return;
    try {
      await this.flushRows(batch.map((entry) => entry.row));
      for (const entry of batch) entry.done();
    } catch (error) {
      for (const entry of batch) entry.failed(error);
    }
  }
}

const SENT_BATCH_MAX = 100;
const SENT_BATCH_WAIT_MS = 5;
