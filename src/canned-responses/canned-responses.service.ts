import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { CannedResponseRepository } from './canned-response.repository';
import { type CannedResponseDto, type CreateCannedResponseDto, mapCannedResponse, type UpdateCannedResponseDto } from './canned-responses.dto';
import { PLACEHOLDERS, render, unknownPlaceholders } from './placeholders';

@Injectable()
export class CannedResponsesService {
  constructor(private readonly responses: CannedResponseRepository) {}

  async create(companyId: string, dto: CreateCannedResponseDto): Promise<CannedResponseDto> {
    assertKnownPlaceholders(dto.text);
    return mapCannedResponse(await this.responses.create(companyId, dto.title, dto.text));
  }

  async list(companyId: string, page: PageQueryDto): Promise<Page<CannedResponseDto>> {
    return mapPage(await this.responses.list(companyId, page), mapCannedResponse);
  }

  async get(companyId: string, id: string): Promise<CannedResponseDto> {
    const response = await this.responses.findById(companyId, id);
    if (!response) throw AppException.notFound('Canned response');
    return mapCannedResponse(response);
  }

  async update(companyId: string, id: string, dto: UpdateCannedResponseDto): Promise<CannedResponseDto> {
    if (dto.text !== undefined) assertKnownPlaceholders(dto.text);
    const response = await this.responses.update(companyId, id, { ...(dto.title === undefined ? {} : { title: dto.title }), ...(dto.text === undefined ? {} : { text: dto.text }) });
    if (!response) throw AppException.notFound('Canned response');
    return mapCannedResponse(response);
  }

  async delete(companyId: string, id: string): Promise<void> {
    if (!(await this.responses.delete(companyId, id))) throw AppException.notFound('Canned response');
  }

  /**
   * The text a canned response becomes on this ticket, for this agent (null for an API key). A
   * contact without a first name is greeted by name; a reply without an agent signs as the team.
   */
  async renderFor(companyId: string, id: string, ticketId: string, agentId: string | null): Promise<string> {
    const response = await this.responses.findById(companyId, id);
    if (!response) throw AppException.notFound('Canned response');
    const context = await this.responses.renderContext(companyId, ticketId, agentId);
    if (!context) throw AppException.notFound('Ticket');
    return render(response.text, {
      'contact.firstName': context.contactFirstName ?? context.contactName,
      'contact.lastName': context.contactLastName ?? '',
      'contact.name': context.contactName,
      'agent.name': context.agentName ?? 'the team',
      'ticket.number': String(context.ticketNumber),
    });
  }
}

function assertKnownPlaceholders(text: string): void {
  const unknown = unknownPlaceholders(text);
  if (unknown.length > 0) throw AppException.badRequest(`Unknown placeholders: ${unknown.map((name) => `{{${name}}}`).join(', ')}`, { unknown, known: PLACEHOLDERS });
}
