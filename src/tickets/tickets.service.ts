import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { MessageRepository } from './message.repository';
import { TicketRepository } from './ticket.repository';
import { mapMessage, mapTicket, type MessageDto, type TicketDto, type TicketQueryDto } from './tickets.dto';

@Injectable()
export class TicketsService {
  constructor(
    private readonly tickets: TicketRepository,
    private readonly messages: MessageRepository,
  ) {}

  async list(companyId: string, query: TicketQueryDto): Promise<Page<TicketDto>> {
    return mapPage(await this.tickets.list(companyId, { statuses: query.status, queueId: query.queueId, limit: query.limit, cursor: query.cursor }), mapTicket);
  }

  async get(companyId: string, id: string): Promise<TicketDto> {
    const ticket = await this.tickets.findById(companyId, id);
    if (!ticket) throw AppException.notFound('Ticket');
    return mapTicket(ticket);
  }

  async timeline(companyId: string, id: string, page: PageQueryDto): Promise<Page<MessageDto>> {
    if (!(await this.tickets.findById(companyId, id))) throw AppException.notFound('Ticket');
    return mapPage(await this.messages.timeline(companyId, id, page), mapMessage);
  }
}
