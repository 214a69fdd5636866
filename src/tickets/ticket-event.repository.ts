import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, In, Repository } from 'typeorm';
import { decodeCursor, encodeCursor } from '../common/pagination/cursor';
import { DEFAULT_PAGE_SIZE, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { returnedRows } from '../database/sql';
import { timeOrderedUuid } from '../database/uuid';
import { Message } from './message.entity';
import { TicketStatus } from './ticket.entity';
import { ActorKind, TicketEvent, TicketEventKind } from './ticket-event.entity';

export interface NewTicketEvent {
  companyId: string;
  ticketId: string;
  kind: TicketEventKind;
  actorKind: ActorKind;
  actorId: string | null;
  text?: string | null;
  data?: Record<string, unknown>;
  at: Date;
}

export type TimelineEntry = { type: 'message'; message: Message } | { type: 'event'; event: TicketEvent };

@Injectable()
export class TicketEventRepository {
  constructor(@InjectRepository(TicketEvent) private readonly events: Repository<TicketEvent>) {}

  async insert(manager: EntityManager, events: NewTicketEvent[]): Promise<TicketEvent[]> {
    if (events.length === 0) return [];
    const rows = events.map((e) => manager.create(TicketEvent, { ...e, id: timeOrderedUuid(), text: e.text ?? null, data: e.data ?? {} }));
    return manager.save(rows);
  }

  /**
   * A customer message took the ticket out of `from` (pending, on hold, solved) back to open. The
   * event is placed when it happened here, not at Meta's time for the message: a message that
   * arrives late must not slip its reopening before the agent's change it undid.
   */
  async reopenedByCustomer(manager: EntityManager, companyId: string, ticketId: string, from: TicketStatus, messageAt: Date): Promise<void> {
    const at = new Date(Math.max(messageAt.getTime(), Date.now()));
    await this.insert(manager, [{ companyId, ticketId, kind: TicketEventKind.StatusChanged, actorKind: ActorKind.Customer, actorId: null, data: { from, to: TicketStatus.Open }, at }]);
  }

  /**
   * Messages and events of a ticket in one order, keyset-paginated on (time, rank, id): each table
   * is read through its (ticket_id, time, id) index and PostgreSQL merges the two, so a page costs
   * the same at the end of a 30,000-message ticket as at its start. At the same millisecond a
   * message comes before the events it caused (a first reply opening the ticket, a customer
   * reopening it), and events keep the order they were made in (their ids are time-ordered).
   */
  async timeline(companyId: string, ticketId: string, page: PageQueryDto): Promise<Page<TimelineEntry>> {
    const limit = page.limit ?? DEFAULT_PAGE_SIZE;
    const after = page.cursor ? decodeCursor(page.cursor, ['date', 'rank', 'uuid']) : null;
    const keyset = (time: string, rank: number) => (after ? `AND (${time}, ${rank}, id) > ($3::timestamptz, $4::int, $5::uuid)` : '');
    const refs: Array<{ type: 'message' | 'event'; id: string; at: Date; rank: number }> = await this.events.query(
      `(SELECT 'message' AS type, id, sent_at AS at, 0 AS rank FROM messages WHERE company_id = $1 AND ticket_id = $2 ${keyset('sent_at', 0)} ORDER BY sent_at, id LIMIT ${limit + 1})
       UNION ALL
       (SELECT 'event' AS type, id, at, 1 AS rank FROM ticket_events WHERE company_id = $1 AND ticket_id = $2 ${keyset('at', 1)} ORDER BY at, id LIMIT ${limit + 1})
       ORDER BY at, rank, id LIMIT ${limit + 1}`,
      after ? [companyId, ticketId, after[0], Number(after[1]), after[2]] : [companyId, ticketId],
    );
    const shown = refs.slice(0, limit);
    const ids = (type: 'message' | 'event') => shown.filter((r) => r.type === type).map((r) => r.id);
    const [messages, events] = await Promise.all([
      ids('message').length ? this.events.manager.findBy(Message, { companyId, id: In(ids('message')) }) : [],
      ids('event').length ? this.events.findBy({ companyId, id: In(ids('event')) }) : [],
    ]);
    const byId = new Map<string, TimelineEntry>([
      ...messages.map((message): [string, TimelineEntry] => [message.id, { type: 'message', message }]),
      ...events.map((event): [string, TimelineEntry] => [event.id, { type: 'event', event }]),
    ]);
    const last = shown[shown.length - 1];
    return {
      data: shown.map((r) => byId.get(r.id)).filter((e): e is TimelineEntry => e !== undefined),
      nextCursor: refs.length > limit && last ? encodeCursor([new Date(last.at).toISOString(), String(last.rank), last.id]) : null,
    };
  }

  /**
   * Closes up to `limit` tickets solved before `solvedBefore`, each with its timeline event, in
   * one statement: a ticket reopened meanwhile is no longer `solved` and is left alone. Answers
   * the closed tickets' companies and ids.
   */
  async autoClose(solvedBefore: Date, limit: number): Promise<Array<{ companyId: string; ticketId: string }>> {
    const rows = returnedRows<{ companyId: string; ticketId: string }>(
      await this.events.query(
        `WITH due AS (
           SELECT id FROM tickets WHERE status = 'solved' AND solved_at < $1 ORDER BY solved_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ), closed AS (
           UPDATE tickets t SET status = 'closed', closed_at = now(), updated_at = now() FROM due WHERE t.id = due.id RETURNING t.company_id, t.id
         )
         INSERT INTO ticket_events (company_id, ticket_id, kind, actor_kind, data, at)
         SELECT company_id, id, 'status_changed', 'system', '{"from": "solved", "to": "closed", "reason": "auto_close"}'::jsonb, now() FROM closed
         RETURNING company_id AS "companyId", ticket_id AS "ticketId"`,
        [solvedBefore, limit],
      ),
    );
    return rows;
  }
}
