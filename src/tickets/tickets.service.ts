import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { MessageRepository } from './message.repository';
import { TicketRepository } from './ticket.repository';
import { replyWindow } from '../delivery/policy';
import { mapMessage, mapTicket, type MessageDto, type ReplyWindowDto, type TicketDto, type TicketQueryDto } from './tickets.dto';
import { type Ticket } from './ticket.entity';

@Injectable()
export class TicketsService {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly messages: MessageRepository,
  ) {}

  async list(companyId: string, query: TicketQueryDto): Promise<Page<TicketDto>> {
    const page = await this.tickets.list(companyId, { statuses: query.status, queueId: query.queueId, limit: query.limit, cursor: query.cursor });
    const windows = await this.replyWindows(companyId, page.data);
    return mapPage(page, (ticket) => mapTicket(ticket, windows.get(ticket.id)!));
  }

  async get(companyId: string, id: string): Promise<TicketDto> {
    const ticket = await this.tickets.findById(companyId, id);
    if (!ticket) throw AppException.notFound('Ticket');
    return mapTicket(ticket, (await this.replyWindows(companyId, [ticket])).get(ticket.id)!);
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

  async timeline(companyId: string, id: string, page: PageQueryDto): Promise<Page<MessageDto>> {
    if (!(await this.tickets.findById(companyId, id))) throw AppException.notFound('Ticket');
    return mapPage(await this.messages.timeline(companyId, id, page), mapMessage);
  }
}
