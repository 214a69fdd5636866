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
import { GroupCommit } from '../database/group-commit';
import { JobName, type JobData, type JobOutcome, type PageLane } from '../jobs/job.catalogue';
import { JobsService } from '../jobs/jobs.service';
import { OnJob } from '../jobs/on-job.decorator';
import { Lane } from './delivery.entity';
import { type ClaimedDelivery, DeliveryRepository, type SentRecord } from './delivery.repository';
import { classifySendFailure } from './graph-errors';
import { LANE_JOB } from './outbox.service';
import { PageLimiter, paceClock, type Slot } from './page-limiter';
import { decide, evidence, type PolicyDecision, type PolicyInput } from './policy';
import { SendApiClient } from './send-api.client';

/**
 * How late a call may leave after its slot. Slots are (1 s + 15 ms) / limit apart, so a one-second
 * window at Meta holds more than the limit only if its calls' delays differ by more than 15 ms:
 * 5 ms here leaves 10 for the network and Meta's side (8 ms was not enough against the simulator
 * sharing two cores with us).
 */
const LATE_SLOT_MS = 5;
/** How long before its slot a call's permission starts committing: most commits take less on a busy 2-core machine. */
const DISPATCH_LEAD_MS = 40;
/** Most deliveries leased by one claim: a paced Page's next fraction of a second. */
const CLAIM_BATCH_MAX = 20;
/** How long a successful send's record waits for others to share its commit. */
const SENT_BATCH_WAIT_MS = 10;

/** A sender waiting for its slot in the Page's pace. */
interface Booking {
  media: boolean;
  giveUpAt: number;
  /** With the slot, or null when none came (the caller puts its delivery back). */
  resolve: (slot: Slot | null) => void;
}

/** One Page's lane being served by this process: what its parallel senders share. */
interface Run {
  channel: Channel;
  lane: Lane;
  token: string;
  /** The sealed token this run uses: a refusal of it must not undo an admin's replacement. */
  envelope: string;
  deadline: number;
  /** Set when the Page must stop now: paused by Meta, or its channel held. */
  stopped: boolean;
  /** Set when a sender found nothing left to claim. */
  drained: boolean;
  /** Set when leased deliveries went back to the queue unsent: the Page has work left even if drained. */
  putBack: boolean;
  senders: Array<Promise<void>>;
  maxSenders: number;
  /** Leased deliveries not yet taken by a sender, oldest first. */
  claimed: ClaimedDelivery[];
  /** The claim in progress (how many it leased), which senders with nothing to do wait for rather than claim again. */
  claiming: Promise<number> | null;
  /** Senders waiting for a slot, in the order they asked. */
  bookings: Booking[];
  /** Whether the loop booking their slots is running. */
  booking: boolean;
  /** Whether the slice may go on, being asked once for all senders. */
  extending: Promise<void> | null;
  /** Whether a call of the lane is in flight, being asked once for all idle senders. */
  probing: Promise<boolean> | null;
  /** The channel as the policy sees it, for every decision of the run. */
  policyChannel: PolicyInput['channel'];
}

/**
 * Serves one Page's lane for a time slice, then yields the slot to the next Page (fairness
 * across Pages and so companies). Within the slice, parallel senders take deliveries from shared
 * claims, decide again, compose the Graph request, take a slot in the Page's pace and send it.
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
    const { graphConnectTimeoutMs, graphTimeoutMs } = config.messenger;
    // The lease of a permitted call outlasts the call's two timeouts.
    const callLeaseMs = graphConnectTimeoutMs + graphTimeoutMs + 5_000;
    const dispatches = () =>
      new GroupCommit(async (rows: ClaimedDelivery[]) => {
        const permitted = await this.deliveries.dispatch(rows, callLeaseMs);
        return rows.map((row) => permitted.has(row.id));
      }, { maxItems: 100 });
    this.dispatches = { [Lane.AgentReply]: dispatches(), [Lane.Transactional]: dispatches(), [Lane.Promotion]: dispatches() };
    this.sent = new GroupCommit(async (rows: SentRecord[]) => {
      await this.deliveries.markSent(rows);
      return rows.map(() => undefined);
    }, { maxItems: 100, waitMs: SENT_BATCH_WAIT_MS });
  }

  /**
   * Successful sends are recorded in batches: one UPDATE, one commit for the answers that arrive
   * within a few milliseconds. Losing a batch (the process dies) leaves its deliveries dispatched
   * and leased: they become unknown and are settled by their echoes, exactly as if the process
   * had died before the answer.
   */
  private readonly sent: GroupCommit<SentRecord, undefined>;
  /**
   * Calls about to leave share their permission's statement and commit; one group per lane, so an
   * agent reply never waits for a broadcast's commit to finish before its own can start.
   */
  private readonly dispatches: Record<Lane, GroupCommit<ClaimedDelivery, boolean>>;

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
    let sealed: { token: string; envelope: string };
    try {
      sealed = await this.tokens.openSealed(companyId, channelId);
    } catch (error) {
      if (error instanceof ChannelUnavailableError) return 'skipped';
      throw error;
    }
    const { token, envelope } = sealed;
    const run: Run = { channel, lane, token, envelope, deadline: Date.now() + this.config.delivery.sliceMs, stopped: false, drained: false, putBack: false, senders: [], maxSenders: 0, claimed: [], claiming: null, bookings: [], booking: false, extending: null, probing: null, policyChannel: policyChannel(channel) };
    const rate = lane === Lane.Promotion ? this.config.delivery.promotionRate : this.config.delivery.pageRate;
    // Enough calls in flight to fill the rate at a 250 ms Graph latency, and no more; one reply needs one.
    run.maxSenders = Math.max(1, Math.min(this.config.delivery.pageConcurrency, Math.ceil(rate / 4)));
    this.addSender(run);
    // Senders join as claims succeed, so the array grows while it is awaited.
    for (let i = 0; i < run.senders.length; i++) await run.senders[i];
    // The slice ended with work left, or put some back: queue behind the other Pages rather than keep the slot.
    if ((!run.drained || run.putBack) && !run.stopped) await this.jobs.enqueue(LANE_JOB[lane], { companyId, channelId });
    return 'done';
  }

  private addSender(run: Run): void {
    if (run.senders.length < run.maxSenders) run.senders.push(this.sender(run));
  }

  private async sender(run: Run): Promise<void> {
    try {
      await this.sendWhileServed(run);
    } catch (error) {
      // Our own failure (PostgreSQL, a bug), not Meta's: what this sender held stays leased until
      // the sweeper puts it back (not dispatched) or makes it unknown (dispatched).
      this.logger.error({ err: error, pageId: run.channel.pageId, lane: run.lane }, 'Delivery sender crashed');
      run.stopped = true;
    }
    // Leased but never taken (the slice ended, the Page stopped): back to the queue at once.
    for (const d of run.claimed.splice(0)) {
      run.putBack = true;
      await this.deliveries.requeue(d.companyId, d.id, d.leaseId, 0, false, null).catch(() => undefined);
    }
  }

  private async sendWhileServed(run: Run): Promise<void> {
    while (!run.stopped && !run.drained && !(await this.sliceOver(run))) {
      const delivery = await this.next(run);
      if (!delivery) {
        // Nothing claimable while a call is in flight: its outcome may unblock the contact's next message.
        run.probing ??= this.deliveries.inFlight(run.channel.companyId, run.channel.id, run.lane).finally(() => (run.probing = null));
        if (!(await run.probing)) {
          run.drained = true;
          return;
        }
        await sleep(20);
        continue;
      }
      // Work was there: one more sender, up to the Page's share.
      this.addSender(run);
      await this.sendOne(run, delivery);
    }
  }

  /**
   * Whether the run's time slice is over. A slice ends so that other Pages get the lane's workers;
   * while none waits (and the process is not stopping) it goes on, because every handover leaves
   * the Page's booked slots unused for a moment. It goes on only with the channel as the run
   * found it: a changed feature, token, status or pause applies from the next run.
   */
  private async sliceOver(run: Run): Promise<boolean> {
    if (this.jobs.stopping) return true;
    if (Date.now() < run.deadline) return false;
    run.extending ??= this.mayGoOn(run)
      .then((goOn) => {
        if (goOn) run.deadline = Date.now() + this.config.delivery.sliceMs;
      })
      .catch(() => undefined)
      .finally(() => (run.extending = null));
    await run.extending;
    return Date.now() >= run.deadline;
  }

  private async mayGoOn(run: Run): Promise<boolean> {
    if ((await this.jobs.waiting(LANE_JOB[run.lane])) > 0 || this.jobs.stopping) return false;
    const { companyId, id } = run.channel;
    const [channel, envelope] = await Promise.all([this.channels.findById(companyId, id), this.channels.encryptedToken(companyId, id)]);
    return channel !== null && envelope === run.envelope && sendingSettings(channel) === sendingSettings(run.channel);
  }

  /**
   * The run's next delivery. Senders share claims: one statement leases enough for every sender
   * of the Page, which a paced Page uses within a fraction of a second.
   */
  private async next(run: Run): Promise<ClaimedDelivery | undefined> {
    for (;;) {
      const ready = run.claimed.shift();
      if (ready) return ready;
      run.claiming ??= this.deliveries
        .claim(run.channel.companyId, run.channel.id, run.lane, this.config.delivery.leaseMs, Math.min(CLAIM_BATCH_MAX, run.maxSenders))
        .then((rows) => {
          run.claimed.push(...rows);
          return rows.length;
        })
        .finally(() => (run.claiming = null));
      // Nothing claimable: every sender waiting on this claim hears it, none claims again at once.
      if ((await run.claiming) === 0) return undefined;
    }
  }

  /**
   * Reserves this call's slot in the Page's pace, waits until `leadMs` before it and answers the
   * slot's time; null when the Page was paused meanwhile (here or by another process), the slice
   * ran out, or no slot came within two seconds: the caller puts the delivery back rather than
   * hold its lease.
   */
  private async slot(run: Run, media: boolean, leadMs: number): Promise<Slot | null> {
    const giveUpAt = Date.now() + 2_000;
    for (;;) {
      const slot = await this.book(run, media, giveUpAt);
      if (slot === null) return null;
      await until(slot.at - leadMs);
      // Woken past the slot (a busy event loop): going now would bunch this call with the next
      // ones, which is how a paced stream ends up over the limit at Meta. Take a fresh slot instead.
      if (isLate(slot)) continue;
      // Meta may have paused the Page while we slept, answering another call or another process.
      if (run.stopped || (await this.limiter.pausedFor(run.channel.pageId).catch(() => 0)) > 0) {
        run.stopped = true;
        return null;
      }
      return slot;
    }
  }

  /** This call's slot, booked in turn with the run's other senders. */
  private book(run: Run, media: boolean, giveUpAt: number): Promise<Slot | null> {
    return new Promise((resolve) => {
      run.bookings.push({ media, giveUpAt, resolve });
      if (!run.booking) void this.serveBookings(run);
    });
  }

  /**
   * Books the slots of the run's waiting senders, oldest first, as many in one round trip as
   * the lane's horizon lets through. Booking call by call, each waiting for the previous round
   * trip, could not keep up with 300/s on a busy event loop: the Page's timeline ran empty for a
   * moment dozens of times a second. One booker per run, so a Page booked up (a broadcast may
   * only book two slots ahead) is polled once, not by every sender.
   */
  private async serveBookings(run: Run): Promise<void> {
    const giveUp = (bookings: Booking[]) => bookings.forEach((booking) => booking.resolve(null));
    run.booking = true;
    try {
      while (run.bookings.length > 0) {
        if (run.stopped || (await this.sliceOver(run))) return giveUp(run.bookings.splice(0));
        const now = Date.now();
        const expired = run.bookings.filter((booking) => booking.giveUpAt <= now);
        if (expired.length > 0) {
          run.bookings = run.bookings.filter((booking) => booking.giveUpAt > now);
          giveUp(expired);
          if (run.bookings.length === 0) return;
        }
        // Audio and video also take slots of their own timeline: booked apart from the others.
        const media = run.bookings[0].media;
        let count = 1;
        while (count < run.bookings.length && run.bookings[count].media === media) count++;
        let slots: Awaited<ReturnType<PageLimiter['reserve']>>;
        try {
          slots = await this.limiter.reserve(run.channel.pageId, run.lane, media, count);
        } catch (error) {
          this.logger.warn({ err: error }, 'Rate limiter unavailable');
          slots = { retryInMs: 500 };
        }
        if ('slots' in slots) {
          const booked = slots.slots;
          run.bookings.splice(0, booked.length).forEach((booking, i) => booking.resolve(booked[i]));
          continue;
        }
        // Longer than a second means Meta paused the Page: give the slot to another Page.
        if (slots.retryInMs > 1_000) {
          run.stopped = true;
          return giveUp(run.bookings.splice(0));
        }
        await sleep(slots.retryInMs + Math.random() * 2);
      }
    } catch (error) {
      this.logger.error({ err: error }, 'Booking slots failed');
      giveUp(run.bookings.splice(0));
    } finally {
      // In the same turn as the loop's last check: a sender asking after this starts a new loop.
      run.booking = false;
    }
  }

  private async sendOne(run: Run, d: ClaimedDelivery): Promise<void> {
    const companyId = d.companyId;
    const decision = decide({
      purpose: d.purpose,
      now: new Date(),
      lastInteractionAt: d.lastInteractionAt,
      channel: run.policyChannel,
      consent: d,
      utilityTemplate: d.utilityTemplate ?? undefined,
    });
    if (!decision.allowed) {
      // A window that closed while the message waited: skipped with the rule, never sent illegally.
      await this.deliveries.skip(companyId, d.id, d.leaseId, decision.code, decision.reason, evidence(decision));
      this.metrics.delivery(run.lane, run.channel.pageId, 'skipped', decision.code);
      return;
    }
    const request = composeRequest(d, decision);
    // Pacing comes last, right before the call: work done after it would reach Meta late and
    // bunched with the next calls. The permission's commit starts a little ahead of the slot, and
    // a call it held past the slot takes a fresh one. A worker killed while waiting holds a
    // lease, which the sweeper puts back (not dispatched) or turns into `unknown`.
    const slot = await this.slot(run, d.media, DISPATCH_LEAD_MS);
    if (slot === null) return this.deliveries.requeue(companyId, d.id, d.leaseId, 0, false, null);
    // Settled meanwhile (an echo of an earlier attempt, the sweeper): no call.
    if (!(await this.dispatches[run.lane].add(d))) return;
    await until(slot.at);
    // The commit held the call past its slot: a fresh one (`slot` waits for it, with no lead).
    if (isLate(slot) && (await this.slot(run, d.media, 0)) === null) return this.deliveries.requeue(companyId, d.id, d.leaseId, 0, false, null);
    // Another sender may have been told to pause the Page since this one's pause check.
    if (run.stopped) return this.deliveries.requeue(companyId, d.id, d.leaseId, 0, false, null);
    const sentAt = new Date();
    const outcome = await this.client.send(run.channel.pageId, run.token, request);
    if (outcome.ok) {
      await this.sent.add({ companyId, id: d.id, mid: outcome.mid, sentAt, sendDecision: evidence(decision), messagingType: (request.messaging_type as string | undefined) ?? null, tag: (request.tag as string | undefined) ?? null });
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
        await this.channels.setStatusIfToken(companyId, run.channel.id, run.envelope, c.channelStatus === 'restricted' ? ChannelStatus.Restricted : ChannelStatus.NeedsReauth, failure.reason.slice(0, 300));
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

/** Whether a call leaving now would be too late for its slot. */
function isLate(slot: Slot): boolean {
  return paceClock() - slot.earliest > LATE_SLOT_MS;
}

/**
 * Waits until `at` (`paceClock` time), never returning before it: a timer rounds its delay down
 * to whole milliseconds and may fire early against a clock it read before, by up to 1.3 ms here,
 * which a call 3.4 ms from the next must not.
 */
async function until(at: number): Promise<void> {
  for (let left = at - paceClock(); left > 0; left = at - paceClock()) {
    if (left >= 1) await sleep(Math.floor(left));
    else await new Promise((resolve) => setImmediate(resolve));
  }
}

function policyChannel(channel: Channel): PolicyInput['channel'] {
  return { status: channel.status, humanAgentEnabled: channel.humanAgentEnabled, utilityTemplates: channel.utilityTemplates, marketingMessagesEnabled: channel.marketingMessagesEnabled };
}

/** What a run's decisions and calls depend on besides the token. */
function sendingSettings(channel: Channel): string {
  return JSON.stringify([
    channel.status,
    channel.disconnectedAt?.getTime() ?? null,
    channel.sendPausedUntil?.getTime() ?? null,
    channel.humanAgentEnabled,
    channel.marketingMessagesEnabled,
    channel.utilityTemplates,
  ]);
}

/** The Graph request for one delivery under the decision taken just now; metadata carries our id for the echo. */
function composeRequest(d: ClaimedDelivery, decision: Extract<PolicyDecision, { allowed: true }>): Record<string, unknown> {
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
      return { recipient: { notification_messages_token: d.marketingToken }, message };
  }
}

