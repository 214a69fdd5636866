import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { paginateByCreation } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { CannedResponse } from './canned-response.entity';

export interface RenderContext {
  ticketNumber: number;
  contactFirstName: string | null;
  contactLastName: string | null;
  contactName: string;
  agentName: string | null;
}

@Injectable()
export class CannedResponseRepository {
  constructor(@InjectRepository(CannedResponse) private readonly responses: Repository<CannedResponse>) {}

  create(companyId: string, title: string, text: string): Promise<CannedResponse> {
    return this.responses.save(this.responses.create({ companyId, title, text }));
  }

  findById(companyId: string, id: string): Promise<CannedResponse | null> {
    return this.responses.findOneBy({ companyId, id });
  }

  list(companyId: string, page: PageQueryDto): Promise<Page<CannedResponse>> {
    return paginateByCreation(this.responses.createQueryBuilder('response').where('response.companyId = :companyId', { companyId }), page);
  }

  async update(companyId: string, id: string, changes: Partial<Pick<CannedResponse, 'title' | 'text'>>): Promise<CannedResponse | null> {
    if (Object.keys(changes).length > 0) await this.responses.update({ companyId, id }, changes);
    return this.findById(companyId, id);
  }

  async delete(companyId: string, id: string): Promise<boolean> {
    return ((await this.responses.delete({ companyId, id })).affected ?? 0) > 0;
  }

  /** What the placeholders of a reply on this ticket, by this agent (null for an API key), stand for. */
  async renderContext(companyId: string, ticketId: string, agentId: string | null): Promise<RenderContext | null> {
    const rows: RenderContext[] = await this.responses.query(
      `SELECT t.number AS "ticketNumber", c.first_name AS "contactFirstName", c.last_name AS "contactLastName", c.name AS "contactName",
         (SELECT a.name FROM agents a WHERE a.company_id = $1 AND a.id = $3) AS "agentName"
       FROM tickets t JOIN contacts c ON c.id = t.contact_id WHERE t.company_id = $1 AND t.id = $2`,
      [companyId, ticketId, agentId],
    );
    return rows[0] ?? null;
  }
}
