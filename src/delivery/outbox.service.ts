import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { JobName } from '../jobs/job.catalogue';
import { JobsService } from '../jobs/jobs.service';
import { Lane } from './delivery.entity';
import { DeliveryRepository, type Recipient } from './delivery.repository';
import { type OutboundMessageDto } from './message-content.dto';
import { toSendApiMessages, validateContent } from './message-content';
import { decide, evidence, type PolicyDecision, Purpose, type RefusalCode, replyWindow } from './policy';

export const LANE_JOB: Record<Lane, JobName.SendAgentReplies | JobName.SendTransactional | JobName.SendPromotions> = {
  [Lane.AgentReply]: JobName.SendAgentReplies,
  [Lane.Transactional]: JobName.SendTransactional,
  [Lane.Promotion]: JobName.SendPromotions,
};

const PURPOSE_LANE: Record<Purpose, Lane> = {
  [Purpose.HumanAgentReply]: Lane.AgentReply,
  [Purpose.AutomatedReply]: Lane.AgentReply,
  [Purpose.Transactional]: Lane.Transactional,
  [Purpose.Promotion]: Lane.Promotion,
};

const MEDIA = new Set(['audio', 'video']);

export interface OutboundSpec {
  purpose: Purpose;
  content: OutboundMessageDto;
  ticketId: string | null;
  messageId: string | null;
  utilityTemplate?: string;
}

/** Each policy refusal as the API's error code: a new refusal does not compile until it has one. */
const REFUSAL_ERROR: Record<RefusalCode, ErrorCode> = {
  outside_messaging_window: ErrorCode.OutsideMessagingWindow,
  no_marketing_consent: ErrorCode.NoMarketingConsent,
  opted_out: ErrorCode.OptedOut,
  channel_unavailable: ErrorCode.ChannelUnavailable,
  marketing_not_enabled: ErrorCode.MarketingNotEnabled,
  no_utility_template: ErrorCode.NoUtilityTemplate,
  never_contacted: ErrorCode.NeverContacted,
};

/**
 * The way into the delivery engine for every feature (agent replies, notifications, campaigns):
 * compose first, decide, and write the outbox rows in the caller's transaction. Sending happens
 * later, in the delivery workers, which decide again.
 */
@Injectable()
export class OutboxService {
  private readonly logger = new Logger(OutboxService.name);

  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly jobs: JobsService,
  ) {}

  /** An invalid message is the caller's 400, never a failed job. */
  assertSendable(content: OutboundMessageDto): void {
    const problems = validateContent(content);
    if (problems.length > 0) throw AppException.badRequest('This message cannot be sent', problems);
  }

  recipient(manager: EntityManager, companyId: string, contactId: string): Promise<Recipient | null> {
    return this.deliveries.recipient(manager, companyId, contactId);
  }

  decide(recipient: Recipient, purpose: Purpose, utilityTemplate?: string): PolicyDecision {
    return decide({ purpose, now: new Date(), lastInteractionAt: recipient.lastInteractionAt, channel: recipient.channel, consent: recipient.consent, utilityTemplate });
  }

  /** The 422 an API caller gets when the policy refuses: the code, the rule, and since when the window is closed. */
  refusal(recipient: Recipient, decision: Extract<PolicyDecision, { allowed: false }>): AppException {
    const window = replyWindow(recipient.lastInteractionAt, recipient.channel.humanAgentEnabled, new Date());
    return new AppException(HttpStatus.UNPROCESSABLE_ENTITY, REFUSAL_ERROR[decision.code], decision.reason, {
      rule: decision.rule,
      windowClosedAt: window.mode === 'closed' ? window.expiresAt : null,
    });
  }

  /** Writes one delivery per Send API call of the content, in sending order, with the decision as evidence. */
  async queue(manager: EntityManager, recipient: Recipient, spec: OutboundSpec, decision: Extract<PolicyDecision, { allowed: true }>): Promise<string[]> {
    const lane = PURPOSE_LANE[spec.purpose];
    const parts = toSendApiMessages(spec.content);
    return this.deliveries.insertMany(
      manager,
      parts.map((payload, part) => ({
        companyId: recipient.companyId,
        channelId: recipient.channelId,
        pageId: recipient.pageId,
        contactId: recipient.contactId,
        psid: recipient.psid,
        ticketId: spec.ticketId,
        messageId: spec.messageId,
        part,
        lane,
        purpose: spec.purpose,
        payload,
        media: MEDIA.has(String((payload.attachment as { type?: unknown } | undefined)?.type)),
        utilityTemplate: spec.utilityTemplate ?? null,
        decision: evidence(decision),
      })),
    );
  }

  /**
   * After the commit: asks a worker to serve the Page's lane. If Redis is down the message is
   * still safe in PostgreSQL and the delivery sweeper wakes the Page; the caller is not failed.
   */
  async wake(companyId: string, channelId: string, purpose: Purpose): Promise<void> {
    try {
      await this.jobs.enqueue(LANE_JOB[PURPOSE_LANE[purpose]], { companyId, channelId });
    } catch (error) {
      this.logger.warn({ err: error, companyId, channelId }, 'Could not enqueue a delivery job; the sweeper will pick it up');
    }
  }
}
