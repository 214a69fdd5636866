import { HttpStatus, Injectable, Logger } from '@nestjs/common';
import { type EntityManager } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { type ErrorCode } from '../common/errors/error-codes';
import { JobName } from '../jobs/job.catalogue';
import { JobsService } from '../jobs/jobs.service';
import { Lane } from './delivery.entity';
import { DeliveryRepository } from './delivery.repository';
import { type OutboundMessageDto } from './message-content.dto';
import { toSendApiMessages, validateContent } from './message-content';
import { decide, type PolicyDecision, Purpose, replyWindow } from './policy';

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

/** Who a message goes to and through which Page, with what the policy needs to know about them. */
export interface Recipient {
  companyId: string;
  contactId: string;
  psid: string;
  channelId: string;
  pageId: string;
  lastInteractionAt: Date | null;
  channel: { status: 'active' | 'needs_reauth' | 'restricted'; humanAgentEnabled: boolean; utilityTemplates: string[]; marketingMessagesEnabled: boolean };
  consent: { marketing: 'none' | 'opted_in' | 'opted_out'; marketingTokenExpiresAt: Date | null; optedOut: boolean };
}

export interface OutboundSpec {
  purpose: Purpose;
  content: OutboundMessageDto;
  ticketId: string | null;
  messageId: string | null;
  utilityTemplate?: string;
}

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

  async recipient(manager: EntityManager, companyId: string, contactId: string): Promise<Recipient | null> {
    const [row] = await manager.query<Array<Record<string, unknown>>>(
      `SELECT c.company_id AS "companyId", c.id AS "contactId", c.psid, ch.id AS "channelId", ch.page_id AS "pageId", c.last_interaction_at AS "lastInteractionAt",
         ch.status, ch.human_agent_enabled AS "humanAgentEnabled", ch.utility_templates AS "utilityTemplates", ch.marketing_messages_enabled AS "marketingMessagesEnabled",
         ch.disconnected_at IS NOT NULL AS disconnected,
         COALESCE(k.marketing::text, 'none') AS marketing, k.marketing_token_expires_at AS "marketingTokenExpiresAt", k.opted_out_at IS NOT NULL AS "optedOut"
       FROM contacts c JOIN channels ch ON ch.id = c.channel_id LEFT JOIN consents k ON k.contact_id = c.id
       WHERE c.company_id = $1 AND c.id = $2`,
      [companyId, contactId],
    );
    if (!row) return null;
    return {
      companyId,
      contactId,
      psid: row.psid as string,
      channelId: row.channelId as string,
      pageId: row.pageId as string,
      lastInteractionAt: row.lastInteractionAt as Date | null,
      channel: {
        // A disconnected Page cannot send at all: the same answer as a dead token.
        status: row.disconnected ? 'needs_reauth' : (row.status as Recipient['channel']['status']),
        humanAgentEnabled: row.humanAgentEnabled as boolean,
        utilityTemplates: row.utilityTemplates as string[],
        marketingMessagesEnabled: row.marketingMessagesEnabled as boolean,
      },
      consent: { marketing: row.marketing as Recipient['consent']['marketing'], marketingTokenExpiresAt: row.marketingTokenExpiresAt as Date | null, optedOut: row.optedOut as boolean },
    };
  }

  decide(recipient: Recipient, purpose: Purpose, utilityTemplate?: string): PolicyDecision {
    return decide({ purpose, now: new Date(), lastInteractionAt: recipient.lastInteractionAt, channel: recipient.channel, consent: recipient.consent, utilityTemplate });
  }

  /** The 422 an API caller gets when the policy refuses: the code, the rule, and since when the window is closed. */
  refusal(recipient: Recipient, decision: Extract<PolicyDecision, { allowed: false }>): AppException {
    const window = replyWindow(recipient.lastInteractionAt, recipient.channel.humanAgentEnabled, new Date());
    return new AppException(HttpStatus.UNPROCESSABLE_ENTITY, decision.code as unknown as ErrorCode, decision.reason, {
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
        decision: { ...decision, decidedAt: new Date().toISOString() },
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
