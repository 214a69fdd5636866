import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { CannedResponsesService } from '../canned-responses/canned-responses.service';
import { AppException } from '../common/errors/app.exception';
import { type Principal } from '../common/auth/principal';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { foldDeliveries, type MessageDeliveryDto } from '../delivery/deliveries.dto';
import { DeliveryState } from '../delivery/delivery.entity';
import { DeliveryRepository } from '../delivery/delivery.repository';
import { OutboxService } from '../delivery/outbox.service';
import { Purpose, replyWindow } from '../delivery/policy';
import { MessageDirection, MessageKind, type Message } from './message.entity';
import { MessageRepository } from './message.repository';
import { type ReplyDto } from './reply.dto';
import { actorOf } from './actor';
import { assertNotClosed } from './ticket-status';
import { TicketEventKind } from './ticket-event.entity';
import { TicketEventRepository } from './ticket-event.repository';
import { TicketRepository } from './ticket.repository';
import { mapEvent, mapMessage, mapTicket, type MessageDto, type ReplyWindowDto, type TicketCountsDto, type TicketDto, type TicketQueryDto, type TimelineItemDto } from './tickets.dto';
import { NO_ASSIGNEE } from './ticket-count.entity';
import { TicketCountRepository } from './ticket-count.repository';
import { type Ticket, TicketStatus, UNFINISHED_STATUSES } from './ticket.entity';

@Injectable()
export class TicketsService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly tickets: TicketRepository,
    private readonly messages: MessageRepository,
    private readonly events: TicketEventRepository,
    private readonly deliveries: DeliveryRepository,
    private readonly outbox: OutboxService,
    private readonly canned: CannedResponsesService,
    private readonly ticketCounts: TicketCountRepository,
  ) {}

  async list(principal: Principal, query: TicketQueryDto): Promise<Page<TicketDto>> {
    const { companyId } = principal;
    let assigneeId: string | null | undefined = query.assignee?.toLowerCase();
    if (assigneeId === 'none') assigneeId = null;
    else if (assigneeId === 'me') {
      if (principal.kind !== 'agent') throw AppException.badRequest('assignee=me needs an agent, not an API key');
      assigneeId = principal.agentId;
    }
    const page = await this.tickets.list(companyId, {
      statuses: query.status,
      priorities: query.priority,
      queueId: query.queueId,
      assigneeId,
      contactId: query.contactId,
      channelId: query.channelId,
      tag: query.tag,
      updatedSince: query.updatedSince === undefined ? undefined : new Date(query.updatedSince),
      replyWindowClosesWithinMinutes: query.replyWindowClosesWithinMinutes,
      slaBreached: query.slaBreached,
      sort: query.sort ?? 'last_customer_message',
      limit: query.limit,
      cursor: query.cursor,
    });
    const windows = await this.replyWindows(companyId, page.data);
    return mapPage(page, (ticket) => mapTicket(ticket, windows.get(ticket.id)!));
  }

  async get(companyId: string, id: string): Promise<TicketDto> {
    const ticket = await this.tickets.findById(companyId, id);
    if (!ticket) throw AppException.notFound('Ticket');
    return this.present(companyId, ticket);
  }

  async present(companyId: string, ticket: Ticket): Promise<TicketDto> {
    return mapTicket(ticket, (await this.replyWindows(companyId, [ticket])).get(ticket.id)!);
  }

  async counts(principal: Principal): Promise<TicketCountsDto> {
    const byStatus = Object.fromEntries(Object.values(TicketStatus).map((status) => [status, 0])) as Record<TicketStatus, number>;
    const byQueue = new Map<string, number>();
    let mine = 0;
    let unassigned = 0;
    for (const row of await this.ticketCounts.forCompany(principal.companyId)) {
      byStatus[row.status] += row.n;
      if (!(UNFINISHED_STATUSES as readonly TicketStatus[]).includes(row.status)) continue;
      byQueue.set(row.queueId, (byQueue.get(row.queueId) ?? 0) + row.n);
      if (principal.kind === 'agent' && row.assigneeKey === principal.agentId) mine += row.n;
      if (row.assigneeKey === NO_ASSIGNEE) unassigned += row.n;
    }
    return {
      byStatus,
      byQueue: [...byQueue].filter(([, n]) => n > 0).map(([queueId, unfinished]) => ({ queueId, unfinished })),
      mine: principal.kind === 'agent' ? mine : null,
      unassigned,
    };
  }

  /** Computed at read time: a window closes by the clock, not by an event. */
  private async replyWindows(companyId: string, tickets: Ticket[]): Promise<Map<string, ReplyWindowDto>> {
    const clocks = await this.tickets.replyClocks(companyId, tickets.map((t) => t.id));
    const now = new Date();
    return new Map(tickets.map((t) => {
      const clock = clocks.get(t.id);
      return [t.id, replyWindow(clock?.lastInteractionAt ?? null, clock?.humanAgentEnabled ?? false, now)];
    }));
  }

  /** Messages (with their delivery state), private notes and changes, in one order. */
  async timeline(companyId: string, id: string, page: PageQueryDto): Promise<Page<TimelineItemDto>> {
    if (!(await this.tickets.findById(companyId, id))) throw AppException.notFound('Ticket');
    const entries = await this.events.timeline(companyId, id, page);
    const states = await this.deliveryStates(companyId, entries.data.flatMap((entry) => (entry.type === 'message' ? [entry.message] : [])));
    return mapPage(entries, (entry) => (entry.type === 'message' ? mapMessage(entry.message, states.get(entry.message.id) ?? null) : mapEvent(entry.event)));
  }

  /**
   * A human agent's reply is a `human_agent_reply` (HUMAN_AGENT allowed up to 7 days); through an
   * API key it is an `automated_reply`, which never gets that tag. The message and its deliveries
   * commit together; a policy refusal is a 422 and writes nothing.
   */
  async reply(principal: Principal, id: string, request: ReplyDto): Promise<MessageDto> {
    const { companyId } = principal;
    const dto = await this.withCannedText(principal, id, request);
    this.outbox.assertSendable(dto);
    const purpose = principal.kind === 'agent' ? Purpose.HumanAgentReply : Purpose.AutomatedReply;
    const ticket = await this.tickets.findById(companyId, id);
    if (!ticket) throw AppException.notFound('Ticket');
    // An answer on a closed ticket would land where nobody looks, and the customer's reply in a follow-up.
    assertNotClosed(ticket);
    const message = await this.dataSource.transaction(async (manager) => {
      const recipient = await this.outbox.recipient(manager, companyId, ticket.contactId);
      if (!recipient) throw AppException.notFound('Ticket');
      const decision = this.outbox.decide(recipient, purpose);
      if (!decision.allowed) throw this.outbox.refusal(recipient, decision);
      const content: Record<string, unknown> = {};
      if (dto.attachments?.length) content.attachments = dto.attachments;
      if (dto.quickReplies?.length) content.quickReplies = dto.quickReplies;
      if (dto.template) content.template = dto.template;
      const created = await this.messages.insertOutbound(manager, {
        companyId,
        ticketId: ticket.id,
        contactId: ticket.contactId,
        channelId: recipient.channelId,
        pageId: recipient.pageId,
        kind: dto.text === undefined ? MessageKind.Attachments : MessageKind.Text,
        text: dto.text ?? null,
        content,
        authorId: principal.kind === 'agent' ? principal.agentId : null,
        sentAt: new Date(),
      });
      const parts = await this.outbox.queue(manager, recipient, { purpose, content: dto, ticketId: ticket.id, messageId: created.id }, decision);
      // An agent's reply opens the ticket and stops its SLA clock; a bot's (an API key) leaves both for an agent.
      if (principal.kind === 'agent' && (await this.tickets.agentReplied(manager, companyId, ticket.id, created.sentAt))) {
        await this.events.insert(manager, [{ companyId, ticketId: ticket.id, kind: TicketEventKind.StatusChanged, ...actorOf(principal), data: { from: TicketStatus.New, to: TicketStatus.Open, reason: 'first_reply' }, at: created.sentAt }]);
      }
      return { created, parts: parts.length, channelId: recipient.channelId };
    });
    await this.outbox.wake(companyId, message.channelId, purpose);
    return mapMessage(message.created, { state: DeliveryState.Queued, parts: message.parts, failure: null });
  }

  /** A reply naming a canned response becomes that response's text, filled in for this ticket and agent. */
  private async withCannedText(principal: Principal, ticketId: string, { cannedResponseId, ...dto }: ReplyDto): Promise<ReplyDto> {
    if (cannedResponseId === undefined) return dto;
    if (dto.text !== undefined) throw AppException.badRequest('Send either text or a cannedResponseId, not both');
    const text = await this.canned.renderFor(principal.companyId, cannedResponseId, ticketId, principal.kind === 'agent' ? principal.agentId : null);
    return { ...dto, text };
  }

  private async deliveryStates(companyId: string, messages: Message[]): Promise<Map<string, MessageDeliveryDto>> {
    const rows = await this.deliveries.forMessages(companyId, messages.filter((m) => m.direction === MessageDirection.Outbound).map((m) => m.id));
    const byMessage = new Map<string, typeof rows>();
    for (const row of rows) {
      const parts = byMessage.get(row.messageId);
      if (parts) parts.push(row);
      else byMessage.set(row.messageId, [row]);
    }
    return new Map([...byMessage].map(([messageId, parts]) => [messageId, foldDeliveries(parts)]));
  }
}
