import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { paginate } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { returnedRows } from '../database/sql';
import { Ticket, TicketStatus } from './ticket.entity';

export interface ThreadTarget {
  companyId: string;
  channelId: string;
  contactId: string;
  queueId: string;
  subject: string;
  /** When the customer wrote; null when the Page started the conversation. */
  at: Date | null;
}

export interface TicketFilter extends PageQueryDto {
  statuses?: TicketStatus[];
  queueId?: string;
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
      }),
    );
  }

  async reopen(manager: EntityManager, companyId: string, id: string): Promise<void> {
    await manager.query(`UPDATE tickets SET status = 'open', solved_at = NULL, updated_at = now() WHERE company_id = $1 AND id = $2`, [companyId, id]);
  }

  async touchCustomerMessage(manager: EntityManager, companyId: string, id: string, at: Date): Promise<void> {
    await manager.query(
      `UPDATE tickets SET last_customer_message_at = GREATEST(last_customer_message_at, $3),
         status = CASE WHEN status IN ('pending', 'on_hold') THEN 'open'::ticket_status ELSE status END, updated_at = now()
       WHERE company_id = $1 AND id = $2`,
      [companyId, id, at],
    );
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

  /** Newest first by creation; the agent workspace issue adds its own orderings. */
  list(companyId: string, filter: TicketFilter): Promise<Page<Ticket>> {
    const qb = this.tickets.createQueryBuilder('ticket').where('ticket.companyId = :companyId', { companyId });
    if (filter.statuses?.length) qb.andWhere('ticket.status IN (:...statuses)', { statuses: filter.statuses });
    if (filter.queueId) qb.andWhere('ticket.queueId = :queueId', { queueId: filter.queueId });
    return paginate(qb, filter, { column: 'createdAt', direction: 'DESC' });
  }
}
