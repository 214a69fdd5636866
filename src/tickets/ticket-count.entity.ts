import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { Company } from '../companies/company.entity';
import { TicketStatus } from './ticket.entity';

/** The assignee key of unassigned tickets (a primary key column cannot be null). */
export const NO_ASSIGNEE = '00000000-0000-0000-0000-000000000000';

/**
 * How many of a company's tickets are in each (queue, assignee, status): kept by triggers on
 * `tickets` (migration TicketCountTriggers), so the sidebar's counts read a few rows per company
 * however many tickets it has. No foreign key to queues or agents: a row at zero must not block
 * deleting either.
 */
@Entity('ticket_counts')
export class TicketCount {
  @PrimaryColumn({ type: 'uuid' })
  companyId!: string;

  @ManyToOne(() => Company, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'company_id' })
  company?: Company;

  @PrimaryColumn({ type: 'uuid' })
  queueId!: string;

  @PrimaryColumn({ type: 'uuid' })
  assigneeKey!: string;

  @PrimaryColumn({ type: 'enum', enum: TicketStatus, enumName: 'ticket_status' })
  status!: TicketStatus;

  @Column({ type: 'bigint', default: 0 })
  n!: string;
}
