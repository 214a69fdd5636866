import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { TicketCount } from './ticket-count.entity';
import { type TicketStatus } from './ticket.entity';

export interface CountRow {
  queueId: string;
  assigneeKey: string;
  status: TicketStatus;
  n: number;
}

@Injectable()
export class TicketCountRepository {
  constructor(@InjectRepository(TicketCount) private readonly counts: Repository<TicketCount>) {}

  /** A company's counters: one row per (queue, assignee, status) it has ever had, read by primary key prefix. */
  async forCompany(companyId: string): Promise<CountRow[]> {
    return this.counts.query(
      `SELECT queue_id AS "queueId", assignee_key AS "assigneeKey", status, n::int AS n FROM ticket_counts WHERE company_id = $1 AND n <> 0`,
      [companyId],
    );
  }
}
