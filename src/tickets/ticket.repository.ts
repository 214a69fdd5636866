import { HttpStatus, Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository, type SelectQueryBuilder } from 'typeorm';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor';
import { paginate } from '../common/pagination/keyset';
import { DEFAULT_PAGE_SIZE, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { snake } from '../database/snake-naming.strategy';
import { returnedRows } from '../database/sql';
import { HUMAN_AGENT_WINDOW_MS, STANDARD_WINDOW_MS } from '../delivery/policy';
import { type SlaTargetKind, Ticket, type TicketPriority, TicketStatus } from './ticket.entity';
import { type TicketSort } from './tickets.dto';

export interface ThreadTarget {
  companyId: string;
  channelId: string;
  contactId: string;
  queueId: string;
  subject: string;
  /** When the customer wrote; null when the Page started the conversation. */
  at: Date | null;
}

export type TicketChanges = Partial<
  Pick<Ticket, 'status' | 'priority' | 'assigneeId' | 'queueId' | 'tags' | 'solvedAt' | 'closedAt' | 'mergedIntoId' | 'awaitingReplySince' | 'replyDueAt' | 'replyTarget' | 'replyBreached'>
>;

/** Nobody waits for an answer any more: the reply clock stops. */
export const STOPPED_CLOCK = { awaitingReplySince: null, replyDueAt: null, replyTarget: null, replyBreached: false } as const satisfies TicketChanges;
const STOP_CLOCK_SQL = Object.entries(STOPPED_CLOCK)
  .map(([property, value]) => `${snake(property)} = ${value === null ? 'NULL' : String(value)}`)
  .join(', ');

export interface CustomerTouch {
  left: TicketStatus | null;
  clock: { priority: TicketPriority; target: SlaTargetKind } | null;
}

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
  slaBreached?: boolean;
  sort: TicketSort;
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
   * A customer message: the ticket's activity moves, a ticket waiting on the customer or on a
   * third party is open again, and if nobody was waiting for an answer the customer now is.
   * Answers the status it left when it changed, and the reply clock to start when one starts.
   */
  async touchCustomerMessage(manager: EntityManager, companyId: string, id: string, firstAt: Date, lastAt: Date): Promise<CustomerTouch> {
    const rows = returnedRows<{ from: TicketStatus; to: TicketStatus; started: boolean; priority: TicketPriority; firstReplied: boolean }>(
      await manager.query(
        `WITH old AS (SELECT id, status, awaiting_reply_since FROM tickets WHERE company_id = $1 AND id = $2 FOR UPDATE)
         UPDATE tickets t SET last_customer_message_at = GREATEST(t.last_customer_message_at, $3), activity_at = GREATEST(t.activity_at, $3),
           status = CASE WHEN old.status IN ('pending', 'on_hold') THEN 'open'::ticket_status ELSE old.status END,
           awaiting_reply_since = COALESCE(old.awaiting_reply_since, $4), updated_at = now()
         FROM old WHERE t.id = old.id
         RETURNING old.status AS "from", t.status AS "to", old.awaiting_reply_since IS NULL AS started, t.priority, t.first_replied_at IS NOT NULL AS "firstReplied"`,
        [companyId, id, lastAt, firstAt],
      ),
    );
    const row = rows[0];
    if (!row) return { left: null, clock: null };
    return {
      left: row.from !== row.to ? row.from : null,
      clock: row.started ? { priority: row.priority, target: row.firstReplied ? 'next_reply' : 'first_reply' } : null,
    };
  }

  /**
   * An agent's public reply: it answers whoever waited, so the reply clock stops, and a first
   * reply opens a new ticket. Answers whether it opened it.
   */
  async agentReplied(manager: EntityManager, companyId: string, id: string, at: Date): Promise<boolean> {
    const rows = returnedRows<{ from: TicketStatus }>(
      await manager.query(
        `WITH old AS (SELECT id, status FROM tickets WHERE company_id = $1 AND id = $2 FOR UPDATE)
         UPDATE tickets t SET status = CASE WHEN old.status = 'new' THEN 'open'::ticket_status ELSE old.status END, first_replied_at = COALESCE(t.first_replied_at, $3),
           ${STOP_CLOCK_SQL}, updated_at = now()
         FROM old WHERE t.id = old.id RETURNING old.status AS "from"`,
        [companyId, id, at],
      ),
    );
    return rows[0]?.from === TicketStatus.New;
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

  /** In the order the agent chose (see TicketQueryDto.sort); every filter combines with the others. */
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
    if (filter.slaBreached !== undefined) qb.andWhere('ticket.slaBreached = :slaBreached', { slaBreached: filter.slaBreached });
    switch (filter.sort) {
      case 'priority':
        return paginateByPriority(qb, filter);
      case 'sla_due':
        return paginate(qb.andWhere('ticket.replyDueAt IS NOT NULL'), filter, { column: 'replyDueAt', direction: 'ASC' });
      case 'created':
        return paginate(qb, filter, { column: 'createdAt', direction: 'DESC' });
      case 'last_customer_message':
        return paginate(qb, filter, { column: 'activityAt', direction: 'DESC' });
    }
  }
}

const PRIORITY_RANK: Record<TicketPriority, string> = { low: '0', normal: '1', high: '2', urgent: '3' };
const RANKED_PRIORITY = Object.fromEntries(Object.entries(PRIORITY_RANK).map(([priority, rank]) => [rank, priority]));

/** Urgent first, then the newest customer message: a keyset on (priority, activity_at, id), all descending, on its own index. */
async function paginateByPriority(qb: SelectQueryBuilder<Ticket>, page: PageQueryDto): Promise<Page<Ticket>> {
  const limit = page.limit ?? DEFAULT_PAGE_SIZE;
  if (page.cursor) {
    const [rank, at, id] = decodeCursor(page.cursor, ['rank', 'date', 'uuid']);
    const priority = RANKED_PRIORITY[rank];
    if (!priority) throw new AppException(HttpStatus.BAD_REQUEST, ErrorCode.InvalidCursor, 'The cursor is malformed or belongs to another listing');
    qb.andWhere('(ticket.priority, ticket.activityAt, ticket.id) < (CAST(:cursorPriority AS ticket_priority), :cursorAt, :cursorId)', { cursorPriority: priority, cursorAt: at, cursorId: id });
  }
  const rows = await qb.orderBy('ticket.priority', 'DESC').addOrderBy('ticket.activityAt', 'DESC').addOrderBy('ticket.id', 'DESC').limit(limit + 1).getMany();
  const data = rows.slice(0, limit);
  const last = data[data.length - 1];
  return { data, nextCursor: rows.length > limit && last ? encodeCursor([PRIORITY_RANK[last.priority], last.activityAt.toISOString(), last.id]) : null };
}
