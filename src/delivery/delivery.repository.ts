import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, type EntityManager, Repository } from 'typeorm';
import { paginate } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { preparedQuery, returnedRows } from '../database/sql';
import { Delivery, DeliveryState, Lane } from './delivery.entity';
import { type PolicyInput, type Purpose } from './policy';

export interface NewDelivery {
  companyId: string;
  channelId: string;
  pageId: string;
  contactId: string;
  psid: string;
  ticketId: string | null;
  messageId: string | null;
  part: number;
  lane: Lane;
  purpose: Purpose;
  payload: Record<string, unknown>;
  media: boolean;
  utilityTemplate: string | null;
  decision: Record<string, unknown>;
}

/** What a worker needs to send one claimed delivery, with the policy's facts about its contact as the claim found them. */
export interface ClaimedDelivery extends SendContext {
  id: string;
  companyId: string;
  contactId: string;
  psid: string;
  messageId: string | null;
  lane: Lane;
  purpose: Purpose;
  payload: Record<string, unknown>;
  media: boolean;
  utilityTemplate: string | null;
  attempts: number;
  leaseId: string;
}

/** Who a message goes to and through which Page, with what the policy needs to know about them. */
export interface Recipient {
  companyId: string;
  contactId: string;
  psid: string;
  channelId: string;
  pageId: string;
  lastInteractionAt: Date | null;
  channel: PolicyInput['channel'];
  consent: PolicyInput['consent'];
}

/** The policy's facts about a contact, read the same way when queuing and when sending (alias c for contacts, k for consents). */
const CONSENT_COLUMNS = `c.last_interaction_at AS "lastInteractionAt", COALESCE(k.marketing::text, 'none') AS marketing,
  k.marketing_token_expires_at AS "marketingTokenExpiresAt", k.opted_out_at IS NOT NULL AS "optedOut", k.marketing_token AS "marketingToken"`;

export interface SendContext {
  lastInteractionAt: Date | null;
  marketing: 'none' | 'opted_in' | 'opted_out';
  marketingTokenExpiresAt: Date | null;
  optedOut: boolean;
  marketingToken: string | null;
}

export interface SentRecord {
  companyId: string;
  id: string;
  mid: string;
  /** When the call left: Meta's delivery and read watermarks are compared with it. */
  sentAt: Date;
  sendDecision: Record<string, unknown>;
  messagingType: string | null;
  tag: string | null;
}

interface MidOfPart {
  companyId: string;
  messageId: string | null;
  part: number;
  mid: string;
}

export interface Failure {
  code: number | null;
  subcode: number | null;
  reason: string;
}

export interface DeliveryFilter extends PageQueryDto {
  state?: DeliveryState;
  channelId?: string;
  lane?: Lane;
}

export interface MessageDeliveryRow {
  messageId: string;
  state: DeliveryState;
  errorCode: number | null;
  errorSubcode: number | null;
  errorReason: string | null;
  refusalCode: string | null;
}

const CLAIM_COLUMNS = `d.id, d.company_id AS "companyId", d.contact_id AS "contactId", d.psid, d.message_id AS "messageId", d.lane, d.purpose,
  d.payload, d.media, d.utility_template AS "utilityTemplate", d.attempts, d.lease_id AS "leaseId"`;

@Injectable()
export class DeliveryRepository {
  constructor(
    @InjectRepository(Delivery) private readonly deliveries: Repository<Delivery>,
    @InjectDataSource() private readonly dataSource: DataSource,
  ) {}

  /** In the caller's transaction: the outbox row commits or vanishes with the business change. */
  async insertMany(manager: EntityManager, rows: NewDelivery[]): Promise<string[]> {
    if (rows.length === 0) return [];
    const col = <K extends keyof NewDelivery>(key: K) => rows.map((row) => row[key]);
    const inserted: Array<{ id: string }> = await manager.query(
      `INSERT INTO deliveries (company_id, channel_id, page_id, contact_id, psid, ticket_id, message_id, part, lane, purpose, payload, media, utility_template, decision)
       SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::uuid[], $5::varchar[], $6::uuid[], $7::uuid[], $8::smallint[],
         $9::delivery_lane[], $10::delivery_purpose[], $11::jsonb[], $12::boolean[], $13::varchar[], $14::jsonb[])
       RETURNING id`,
      [
        col('companyId'), col('channelId'), col('pageId'), col('contactId'), col('psid'), col('ticketId'), col('messageId'), col('part'),
        col('lane'), col('purpose'), rows.map((r) => JSON.stringify(r.payload)), col('media'), col('utilityTemplate'), rows.map((r) => JSON.stringify(r.decision)),
      ],
    );
    return inserted.map((row) => row.id);
  }

  /**
   * Leases the oldest sendable deliveries of a Page's lane, with the policy's facts about each
   * contact: an atomic state change, so a duplicated or stalled job can never send one twice
   * while the lease holds. A contact's deliveries go out in order: one waits while an earlier one
   * of the same lane is queued or being sent (the statement's snapshot sees the earlier one still
   * queued, so one claim never takes two messages of a contact).
   */
  async claim(companyId: string, channelId: string, lane: Lane, leaseMs: number, limit: number): Promise<ClaimedDelivery[]> {
    return preparedQuery<ClaimedDelivery>(
      this.dataSource,
      'delivery_claim',
      `WITH next AS (
           SELECT q.id, q.seq, ${CONSENT_COLUMNS} FROM deliveries q
             LEFT JOIN contacts c ON c.company_id = q.company_id AND c.id = q.contact_id LEFT JOIN consents k ON k.contact_id = c.id
           WHERE q.company_id = $1 AND q.channel_id = $2 AND q.lane = $3 AND q.state = 'queued' AND q.next_attempt_at <= now()
             AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.contact_id = q.contact_id AND e.lane = q.lane AND e.seq < q.seq
               -- Written so that it implies the partial index's predicate: the check is an index probe, not a scan.
               AND e.state IN ('queued', 'sending', 'unknown') AND (e.state <> 'unknown' OR (e.resends = 0 AND e.lane <> 'promotion')))
           ORDER BY q.seq LIMIT $5 FOR UPDATE OF q SKIP LOCKED),
         claimed AS (
           UPDATE deliveries d SET state = 'sending', attempts = d.attempts + 1, lease_until = now() + $4 * interval '1 millisecond',
             lease_id = gen_random_uuid(), dispatched_at = NULL, updated_at = now()
           FROM next WHERE d.id = next.id
           RETURNING ${CLAIM_COLUMNS}, next.seq, next."lastInteractionAt", next.marketing, next."marketingTokenExpiresAt", next."optedOut", next."marketingToken")
         SELECT * FROM claimed ORDER BY seq`,
      [companyId, channelId, lane, leaseMs, limit],
    );
  }

  /** Whether a call of this Page's lane is in flight: what it settles may unblock the contact's next message. */
  async inFlight(companyId: string, channelId: string, lane: Lane): Promise<boolean> {
    const rows: unknown[] = await this.dataSource.query(
      `SELECT 1 FROM deliveries WHERE company_id = $1 AND channel_id = $2 AND lane = $3 AND state = 'sending' LIMIT 1`,
      [companyId, channelId, lane],
    );
    return rows.length > 0;
  }

  /**
   * The last step before each Graph call, and its permission: only while the worker still holds
   * the lease (an echo, the sweeper or a retry may have moved the row meanwhile). Records the
   * dispatch and covers the call with a fresh lease; one statement for the calls about to leave
   * together. Returns the ids that may be sent.
   */
  async dispatch(rows: Array<{ companyId: string; id: string; leaseId: string }>, leaseMs: number): Promise<Set<string>> {
    const dispatched = await preparedQuery<{ id: string }>(
      this.dataSource,
      'delivery_dispatch',
      `UPDATE deliveries d SET dispatched_at = now(), lease_until = now() + $4 * interval '1 millisecond'
       FROM unnest($1::uuid[], $2::uuid[], $3::uuid[]) AS x(company_id, id, lease_id)
       WHERE d.company_id = x.company_id AND d.id = x.id AND d.lease_id = x.lease_id AND d.state = 'sending' RETURNING d.id`,
      [rows.map((r) => r.companyId), rows.map((r) => r.id), rows.map((r) => r.leaseId), leaseMs],
    );
    return new Set(dispatched.map((row) => row.id));
  }

  /** The same facts with the contact's channel, when a message is queued (in the caller's transaction). */
  async recipient(manager: EntityManager, companyId: string, contactId: string): Promise<Recipient | null> {
    const [row] = await manager.query<Array<SendContext & Record<string, unknown>>>(
      `SELECT c.psid, ch.id AS "channelId", ch.page_id AS "pageId", ch.status, ch.human_agent_enabled AS "humanAgentEnabled",
         ch.utility_templates AS "utilityTemplates", ch.marketing_messages_enabled AS "marketingMessagesEnabled",
         ch.disconnected_at IS NOT NULL AS disconnected, ${CONSENT_COLUMNS}
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
      lastInteractionAt: row.lastInteractionAt,
      channel: {
        // A disconnected Page cannot send at all: the same answer as a dead token.
        status: row.disconnected ? 'needs_reauth' : (row.status as Recipient['channel']['status']),
        humanAgentEnabled: row.humanAgentEnabled as boolean,
        utilityTemplates: row.utilityTemplates as string[],
        marketingMessagesEnabled: row.marketingMessagesEnabled as boolean,
      },
      consent: { marketing: row.marketing, marketingTokenExpiresAt: row.marketingTokenExpiresAt, optedOut: row.optedOut },
    };
  }

  /**
   * Graph accepted them (one statement for a batch), whoever holds the rows now: an echo may have settled it first (same mid), a
   * lease that expired made it `unknown` or queued it for a resend, which this answer makes moot.
   * `sent_at` is when the call left, which is what Meta's delivery and read watermarks compare with.
   */
  async markSent(rows: SentRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const col = <K extends keyof SentRecord>(key: K) => rows.map((row) => row[key]);
    const updated = await preparedQuery<MidOfPart>(
      this.dataSource,
      'delivery_mark_sent',
      `UPDATE deliveries d SET state = CASE WHEN d.state IN ('sending', 'unknown', 'queued') THEN 'sent'::delivery_state ELSE d.state END,
           mid = COALESCE(d.mid, x.mid), sent_at = COALESCE(d.sent_at, x.sent_at), lease_until = NULL, unknown_at = NULL,
           send_decision = x.decision, messaging_type = x.messaging_type, tag = x.tag, error_code = NULL, error_subcode = NULL, error_reason = NULL, updated_at = now()
         FROM unnest($1::uuid[], $2::uuid[], $3::varchar[], $4::jsonb[], $5::varchar[], $6::varchar[], $7::timestamptz[]) AS x(company_id, id, mid, decision, messaging_type, tag, sent_at)
         WHERE d.company_id = x.company_id AND d.id = x.id AND d.state IN ('sending', 'unknown', 'queued', 'sent', 'delivered', 'read')
         RETURNING d.company_id AS "companyId", d.message_id AS "messageId", d.part, x.mid`,
      [col('companyId'), col('id'), col('mid'), rows.map((r) => JSON.stringify(r.sendDecision)), col('messagingType'), col('tag'), rows.map((r) => r.sentAt.toISOString())],
    );
    await this.adoptMids(this.dataSource.manager, updated);
  }

  /** Back to the queue: a retry (counted) or a pause or hold (not counted, it was not the message's fault). */
  async requeue(companyId: string, id: string, leaseId: string, delayMs: number, counted: boolean, failure: Failure | null): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET state = 'queued', lease_until = NULL, next_attempt_at = now() + $3 * interval '1 millisecond',
         attempts = CASE WHEN $4 THEN attempts ELSE GREATEST(attempts - 1, 0) END,
         error_code = $5, error_subcode = $6, error_reason = $7, lease_id = NULL, dispatched_at = NULL, unknown_at = NULL, updated_at = now()
       WHERE company_id = $1 AND id = $2 AND lease_id = $8 AND state IN ('sending', 'unknown')`,
      [companyId, id, Math.max(0, Math.round(delayMs)), counted, failure?.code ?? null, failure?.subcode ?? null, failure?.reason.slice(0, 500) ?? null, leaseId],
    );
  }

  /** A definite answer from Meta also settles this worker's row that the sweeper made `unknown` meanwhile. */
  async fail(companyId: string, id: string, leaseId: string, failure: Failure): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET state = 'failed', lease_until = NULL, unknown_at = NULL, error_code = $3, error_subcode = $4, error_reason = $5, updated_at = now()
       WHERE company_id = $1 AND id = $2 AND lease_id = $6 AND state IN ('sending', 'unknown')`,
      [companyId, id, failure.code, failure.subcode, failure.reason.slice(0, 500), leaseId],
    );
  }

  async skip(companyId: string, id: string, leaseId: string, refusalCode: string, reason: string, sendDecision: Record<string, unknown>): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET state = 'skipped', lease_until = NULL, refusal_code = $3, error_reason = $4, send_decision = $5, updated_at = now()
       WHERE company_id = $1 AND id = $2 AND lease_id = $6 AND state = 'sending'`,
      [companyId, id, refusalCode, reason.slice(0, 500), JSON.stringify(sendDecision), leaseId],
    );
  }

  async markUnknown(companyId: string, id: string, leaseId: string, reason: string): Promise<void> {
    await this.dataSource.query(
      `UPDATE deliveries SET state = 'unknown', lease_until = NULL, unknown_at = now(), error_reason = $3, updated_at = now()
       WHERE company_id = $1 AND id = $2 AND lease_id = $4 AND state = 'sending'`,
      [companyId, id, reason.slice(0, 500), leaseId],
    );
  }

  /**
   * An echo carrying our delivery id in its metadata: Meta has the message, whatever we
   * recorded. Returns false when the id is not one of this company's deliveries.
   */
  async settleByEcho(manager: EntityManager, companyId: string, id: string, mid: string, at: Date): Promise<boolean> {
    const rows = returnedRows<MidOfPart>(
      await manager.query(
        `UPDATE deliveries SET state = CASE WHEN state IN ('queued', 'sending', 'unknown', 'failed') THEN 'sent'::delivery_state ELSE state END,
           mid = COALESCE(mid, $3), sent_at = COALESCE(sent_at, $4), lease_until = NULL, unknown_at = NULL,
           error_code = NULL, error_subcode = NULL, error_reason = NULL, updated_at = now()
         WHERE company_id = $1 AND id = $2 AND state <> 'skipped'
         RETURNING company_id AS "companyId", message_id AS "messageId", part, $3::varchar AS mid`,
        [companyId, id, mid, at],
      ),
    );
    await this.adoptMids(manager, rows);
    return rows.length > 0;
  }

  /**
   * The timeline message takes the mid of its first accepted part, so reactions and replies find
   * it: one statement for a batch, the lowest part of each message winning.
   */
  private async adoptMids(manager: EntityManager, parts: MidOfPart[]): Promise<void> {
    const first = new Map<string, MidOfPart>();
    for (const p of parts) if (p.messageId && (first.get(p.messageId)?.part ?? Infinity) > p.part) first.set(p.messageId, p);
    if (first.size === 0) return;
    const rows = [...first.values()];
    await manager.query(
      `UPDATE messages m SET mid = x.mid FROM unnest($1::uuid[], $2::uuid[], $3::varchar[]) AS x(company_id, id, mid)
       WHERE m.company_id = x.company_id AND m.id = x.id AND m.mid IS NULL
         AND NOT EXISTS (SELECT 1 FROM messages o WHERE o.page_id = m.page_id AND o.mid = x.mid)`,
      [rows.map((r) => r.companyId), rows.map((r) => r.messageId), rows.map((r) => r.mid)],
    );
  }

  async markDeliveredByMids(manager: EntityManager, companyId: string, pageId: string, mids: string[], at: Date): Promise<void> {
    if (mids.length === 0) return;
    await manager.query(
      `UPDATE deliveries SET state = 'delivered', delivered_at = COALESCE(delivered_at, $4), updated_at = now()
       WHERE company_id = $1 AND page_id = $2 AND mid = ANY($3::varchar[]) AND state = 'sent'`,
      [companyId, pageId, mids, at],
    );
  }

  /** Watermarks: everything sent to this contact up to the instant is delivered (or read). */
  async markUpTo(manager: EntityManager, companyId: string, contactId: string, watermark: Date, read: boolean): Promise<void> {
    await manager.query(
      read
        ? `UPDATE deliveries SET state = 'read', read_at = $3, delivered_at = COALESCE(delivered_at, $3), updated_at = now()
           WHERE company_id = $1 AND contact_id = $2 AND state IN ('sent', 'delivered') AND sent_at <= $3`
        : `UPDATE deliveries SET state = 'delivered', delivered_at = $3, updated_at = now()
           WHERE company_id = $1 AND contact_id = $2 AND state = 'sent' AND sent_at <= $3`,
      [companyId, contactId, watermark],
    );
  }

  // --- sweeper: across companies, by design -------------------------------------------------------

  /**
   * A lease that ran out means the worker died or hung. Before its dispatch the call never
   * started, so the delivery simply goes back to the queue; after it, the outcome is unknown.
   */
  async expireLeases(limit: number): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.dataSource.query(
        `UPDATE deliveries SET lease_until = NULL, updated_at = now(),
           state = CASE WHEN dispatched_at IS NULL THEN 'queued'::delivery_state ELSE 'unknown'::delivery_state END,
           attempts = CASE WHEN dispatched_at IS NULL THEN GREATEST(attempts - 1, 0) ELSE attempts END,
           unknown_at = CASE WHEN dispatched_at IS NULL THEN NULL ELSE now() END,
           error_reason = CASE WHEN dispatched_at IS NULL THEN error_reason
             ELSE 'The worker stopped while sending; the message may or may not have reached Meta' END
         WHERE id IN (SELECT id FROM deliveries WHERE state = 'sending' AND lease_until < now() ORDER BY lease_until LIMIT $1 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [limit],
      ),
    );
    return rows.length;
  }

  /**
   * At-least-once for agent replies and transactional messages: an unknown outcome with no echo
   * after `ageMs` is sent once more. Never while an event of that conversation waits to be
   * applied, since it may be the very echo that settles it. Promotions stay unknown (at most once).
   */
  async resendUnknown(ageMs: number, limit: number): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.dataSource.query(
        `UPDATE deliveries SET state = 'queued', resends = resends + 1, next_attempt_at = now(), updated_at = now()
         WHERE id IN (
           SELECT d.id FROM deliveries d
           WHERE d.state = 'unknown' AND d.unknown_at < now() - $1 * interval '1 millisecond' AND d.resends = 0 AND d.lane <> 'promotion'
             AND NOT EXISTS (SELECT 1 FROM inbound_events i WHERE i.page_id = d.page_id AND i.conversation = d.psid AND i.state = 'pending')
           ORDER BY d.unknown_at LIMIT $2 FOR UPDATE SKIP LOCKED)
         RETURNING id`,
        [ageMs, limit],
      ),
    );
    return rows.length;
  }

  /**
   * Page lanes with work that is due, on channels that may send now. The channels with queued
   * rows are found by skipping through the partial index one channel at a time (a loose index
   * scan), so a sweep costs the number of Pages, not the size of their broadcasts.
   */
  runnableLanes(limit: number): Promise<Array<{ companyId: string; channelId: string; lane: Lane }>> {
    return this.dataSource.query(
      `WITH RECURSIVE queued AS (
         (SELECT channel_id FROM deliveries WHERE state = 'queued' ORDER BY channel_id LIMIT 1)
         UNION ALL
         SELECT (SELECT d.channel_id FROM deliveries d WHERE d.state = 'queued' AND d.channel_id > queued.channel_id ORDER BY d.channel_id LIMIT 1)
         FROM queued WHERE queued.channel_id IS NOT NULL)
       SELECT c.company_id AS "companyId", c.id AS "channelId", l.lane
       FROM queued JOIN channels c ON c.id = queued.channel_id CROSS JOIN unnest(enum_range(NULL::delivery_lane)) AS l(lane)
       WHERE c.status = 'active' AND c.disconnected_at IS NULL AND (c.send_paused_until IS NULL OR c.send_paused_until <= now())
         AND EXISTS (SELECT 1 FROM deliveries q WHERE q.channel_id = c.id AND q.lane = l.lane AND q.state = 'queued' AND q.next_attempt_at <= now())
       LIMIT $1`,
      [limit],
    );
  }

  /**
   * A disconnected channel will never send again: its queue fails with a reason instead of waiting
   * forever. It starts from the disconnected channels and probes each one's queue in the partial
   * index: joined the other way round, a sweep during a broadcast read every queued delivery.
   */
  async failDisconnected(limit: number): Promise<number> {
    const rows = returnedRows<unknown>(
      await this.dataSource.query(
        `UPDATE deliveries SET state = 'failed', error_reason = 'The channel was disconnected before this message could be sent', updated_at = now()
         WHERE id IN (SELECT d.id FROM channels c
                        CROSS JOIN LATERAL (SELECT q.id FROM deliveries q WHERE q.channel_id = c.id AND q.state = 'queued' LIMIT $1 FOR UPDATE SKIP LOCKED) d
                      WHERE c.disconnected_at IS NOT NULL LIMIT $1)
         RETURNING id`,
        [limit],
      ),
    );
    return rows.length;
  }

  /** Queued deliveries per lane and Page, for /metrics. */
  depth(): Promise<Array<{ lane: Lane; pageId: string; count: number }>> {
    return this.dataSource.query(`SELECT lane, page_id AS "pageId", count(*)::int AS count FROM deliveries WHERE state = 'queued' GROUP BY lane, page_id`);
  }

  // --- API ---------------------------------------------------------------------------------------

  findById(companyId: string, id: string): Promise<Delivery | null> {
    return this.deliveries.findOneBy({ companyId, id });
  }

  /** Newest first. */
  list(companyId: string, filter: DeliveryFilter): Promise<Page<Delivery>> {
    const qb = this.deliveries.createQueryBuilder('delivery').where('delivery.companyId = :companyId', { companyId });
    if (filter.state) qb.andWhere('delivery.state = :state', { state: filter.state });
    if (filter.channelId) qb.andWhere('delivery.channelId = :channelId', { channelId: filter.channelId });
    if (filter.lane) qb.andWhere('delivery.lane = :lane', { lane: filter.lane });
    return paginate(qb, filter, { column: 'createdAt', direction: 'DESC' });
  }

  /** Only a failed delivery, and only once: the state change is the guard against a double retry. */
  async retry(companyId: string, id: string): Promise<boolean> {
    const rows = returnedRows<unknown>(
      await this.dataSource.query(
        `UPDATE deliveries SET state = 'queued', attempts = 0, next_attempt_at = now(), error_code = NULL, error_subcode = NULL, error_reason = NULL, updated_at = now()
         WHERE company_id = $1 AND id = $2 AND state = 'failed' RETURNING id`,
        [companyId, id],
      ),
    );
    return rows.length > 0;
  }

  forMessages(companyId: string, messageIds: string[]): Promise<MessageDeliveryRow[]> {
    if (messageIds.length === 0) return Promise.resolve([]);
    return this.dataSource.query(
      `SELECT message_id AS "messageId", state, error_code AS "errorCode", error_subcode AS "errorSubcode", error_reason AS "errorReason", refusal_code AS "refusalCode"
       FROM deliveries WHERE company_id = $1 AND message_id = ANY($2::uuid[]) ORDER BY message_id, part`,
      [companyId, messageIds],
    );
  }
}

