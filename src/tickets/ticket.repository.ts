import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { paginate } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { returnedRows } from '../database/sql';
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS } from '../delivery/policy';
import { Ticket, type TicketPriority, TicketStatus } from './ticket.entity';

export interface ThreadTarget {
  companyId: string;
  channelId: string;
  contactId: string;
  queueId: string;
  subject: string;
  /** When the customer wrote; null when the Page started the conversation. */
  at: Date | null;
}

export type TicketChanges = Partial<Pick<Ticket, 'status' | 'priority' | 'assigneeId' | 'queueId' | 'tags' | 'solvedAt' | 'closedAt' | 'mergedIntoId'>>;

export interface TicketFilter extends PageQueryDto {
  statuses?: TicketStatus[];
  queueId?: string;
  /** An agent id, or null for unassigned tickets. */
  assigneeId?: string | null;
  contactId?: string;
  channelId?: string;
  tag?: string;
  priorities?: TicketPriority[];
  updatedSince?: Date;
  /** Still answerable by an agent, for at most this many minutes more. */
  replyWindowClosesWithinMinutes?: number;
  sort?: 'activity' | 'created';
}

@Injectable()
export class TicketRepository {
  constructor(@InjectRepository(Ticket) private readonly tickets: Repository<Ticket>) {}

  /** The contact's latest ticket, locked: threading decisions for one contact never interleave. */
  async latestForContact(manager: EntityManager, companyId: string, contactId: string): Promise<Ticket | null> {
    return manager
      .createQueryBuilder(Ticket, 'ticket')
      .setLock('pessimistic_write')
      .where('ticket.companyId = :companyId AND ticket.contactId = :contactId', { companyId, contactId })
      .orderBy('ticket.createdAt', 'DESC')
      .addOrderBy('ticket.number', 'DESC')
      .limit(1)
      .getOne();
  }

  /** The company row lock hands out numbers one at a time, and a rollback gives its number back. */
  async create(manager: EntityManager, target: ThreadTarget, previousTicketId: string | null): Promise<Ticket> {
    const rows = returnedRows<{ number: number }>(
      await manager.query(`UPDATE companies SET last_ticket_number = last_ticket_number + 1 WHERE id = $1 RETURNING last_ticket_number AS number`, [target.companyId]),
    );
    const number = rows[0].number;
    return manager.save(
      manager.create(Ticket, {
        companyId: target.companyId,
        number,
        channelId: target.channelId,
        contactId: target.contactId,
        queueId: target.queueId,
        subject: target.subject,
        previousTicketId,
        status: TicketStatus.New,
        lastCustomerMessageAt: target.at,
        activityAt: target.at ?? new Date(),
      }),
    );
  }

  /** A solved ticket the customer wrote to again within the reopen window; answers the status it left. */
  async reopen(manager: EntityManager, companyId: string, id: string): Promise<TicketStatus | null> {
    const rows = returnedRows<{ from: TicketStatus }>(
      await manager.query(
        `WITH old AS (SELECT id, status FROM tickets WHERE company_id = $1 AND id = $2 FOR UPDATE)
         UPDATE tickets t SET status = 'open', solved_at = NULL, updated_at = now() FROM old
         WHERE t.id = old.id AND old.status <> 'open' RETURNING old.status AS "from"`,
        [companyId, id],
      ),
    );
    return rows[0]?.from ?? null;
  }

  /**
   * A customer message: the ticket's clock moves, and a ticket waiting on the customer or on a
   * third party is open again. Answers the status it left when it changed.
   */
  async touchCustomerMessage(manager: EntityManager, companyId: string, id: string, at: Date): Promise<TicketStatus | null> {
    const rows = returnedRows<{ from: TicketStatus; to: TicketStatus }>(
      await manager.query(
        `WITH old AS (SELECT id, status FROM tickets WHERE company_id = $1 AND id = $2 FOR UPDATE)
         UPDATE tickets t SET last_customer_message_at = GREATEST(t.last_customer_message_at, $3), activity_at = GREATEST(t.activity_at, $3),
           status = CASE WHEN old.status IN ('pending', 'on_hold') THEN 'open'::ticket_status ELSE old.status END, updated_at = now()
         FROM old WHERE t.id = old.id RETURNING old.status AS "from", t.status AS "to"`,
        [companyId, id, at],
      ),
    );
    const row = rows[0];
    return row && row.from !== row.to ? row.from : null;
  }

  /** An agent's first public reply opens a new ticket; answers whether it did. */
  async openIfNew(manager: EntityManager, companyId: string, id: string): Promise<boolean> {
    const rows = returnedRows<unknown>(
      await manager.query(`UPDATE tickets SET status = 'open', updated_at = now() WHERE company_id = $1 AND id = $2 AND status = 'new' RETURNING id`, [companyId, id]),
    );
    return rows.length > 0;
  }

  /** The ticket, locked until the transaction ends: changes to it are decided one at a time. */
  lock(manager: EntityManager, companyId: string, id: string): Promise<Ticket | null> {
    return manager.findOne(Ticket, { where: { companyId, id }, lock: { mode: 'pessimistic_write' } });
  }

  async update(manager: EntityManager, companyId: string, id: string, changes: TicketChanges): Promise<void> {
    await manager.update(Ticket, { companyId, id }, changes);
  }

  /**
   * Moves the whole timeline of `sourceId` (messages, their deliveries, notes and events) to
   * `targetId`, and carries the customer's latest message over. Both tickets are locked.
   */
  async moveTimeline(manager: EntityManager, companyId: string, sourceId: string, targetId: string): Promise<void> {
    for (const table of ['messages', 'deliveries', 'ticket_events']) {
      await manager.query(`UPDATE ${table} SET ticket_id = $3 WHERE company_id = $1 AND ticket_id = $2`, [companyId, sourceId, targetId]);
    }
    await manager.query(
      `UPDATE tickets t SET last_customer_message_at = GREATEST(t.last_customer_message_at, s.last_customer_message_at), activity_at = GREATEST(t.activity_at, s.activity_at), updated_at = now()
       FROM tickets s WHERE t.company_id = $1 AND t.id = $3 AND s.company_id = $1 AND s.id = $2`,
      [companyId, sourceId, targetId],
    );
  }

  /** Whether the agent belongs to the company and may still be given tickets. */
  async assignable(manager: EntityManager, companyId: string, agentId: string): Promise<boolean> {
    const rows: unknown[] = await manager.query(`SELECT 1 FROM agents WHERE company_id = $1 AND id = $2 AND deactivated_at IS NULL`, [companyId, agentId]);
    return rows.length > 0;
  }

  /** What a ticket's reply window depends on: when its customer last acted, and whether the Page has Human Agent. */
  async replyClocks(companyId: string, ids: string[]): Promise<Map<string, { lastInteractionAt: Date | null; humanAgentEnabled: boolean }>> {
    if (ids.length === 0) return new Map();
    const rows: Array<{ id: string; lastInteractionAt: Date | null; humanAgentEnabled: boolean }> = await this.tickets.query(
      `SELECT t.id, c.last_interaction_at AS "lastInteractionAt", ch.human_agent_enabled AS "humanAgentEnabled"
       FROM tickets t JOIN contacts c ON c.id = t.contact_id JOIN channels ch ON ch.id = t.channel_id
       WHERE t.company_id = $1 AND t.id = ANY($2::uuid[])`,
      [companyId, ids],
    );
    return new Map(rows.map(({ id, ...clock }) => [id, clock]));
  }

  findById(companyId: string, id: string): Promise<Ticket | null> {
    return this.tickets.findOneBy({ companyId, id });
  }

  /** Newest first, by the customer's last message (default) or by creation; every filter combines with the others. */
  list(companyId: string, filter: TicketFilter): Promise<Page<Ticket>> {
    const qb = this.tickets.createQueryBuilder('ticket').where('ticket.companyId = :companyId', { companyId });
    if (filter.statuses?.length) qb.andWhere('ticket.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.priorities?.length) qb.andWhere('ticket.priority IN (:...priorities)', { priorities: filter.priorities });
    if (filter.queueId) qb.andWhere('ticket.queueId = :queueId', { queueId: filter.queueId });
    if (filter.assigneeId === null) qb.andWhere('ticket.assigneeId IS NULL');
    else if (filter.assigneeId) qb.andWhere('ticket.assigneeId = :assigneeId', { assigneeId: filter.assigneeId });
    if (filter.contactId) qb.andWhere('ticket.contactId = :contactId', { contactId: filter.contactId });
    if (filter.channelId) qb.andWhere('ticket.channelId = :channelId', { channelId: filter.channelId });
    if (filter.tag) qb.andWhere(':tag = ANY(ticket.tags)', { tag: filter.tag });
    if (filter.updatedSince) qb.andWhere('ticket.updatedAt >= :updatedSince', { updatedSince: filter.updatedSince });
    if (filter.replyWindowClosesWithinMinutes) {
      // When an agent's reply stops being allowed, by policy.ts's windows; a window that ends now is already closed there.
      qb.andWhere(
        `(SELECT c.last_interaction_at + CASE WHEN ch.human_agent_enabled THEN CAST(:humanAgentSecs AS int) ELSE CAST(:standardSecs AS int) END * interval '1 second'
          FROM contacts c JOIN channels ch ON ch.id = ticket.channel_id WHERE c.id = ticket.contact_id) BETWEEN now() + interval '1 millisecond' AND now() + make_interval(mins => :windowMinutes)`,
        { windowMinutes: filter.replyWindowClosesWithinMinutes, standardSecs: STANDARD_WINDOW_MS / 1000, humanAgentSecs: HUMAN_AGENT_WINDOW_MS / 1000 },
      );
    }
    return paginate(qb, filter, { column: filter.sort === 'created' ? 'createdAt' : 'activityAt', direction: 'DESC' });
  }
}
