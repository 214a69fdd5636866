import { Column, Entity, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';
import { type TicketPriority } from '../tickets/ticket.entity';
import { type OpeningHours } from './business-hours';

/** How long a customer may wait for an answer at one priority; a priority without a target runs no clock. */
export interface SlaTarget {
  priority: TicketPriority;
  /** From the customer's first message to an agent's first public reply. */
  firstReplyMinutes: number | null;
  /** From a customer's message to the agent's next public reply, after the first. */
  nextReplyMinutes: number | null;
  /** Counted in the company's business hours, or else around the clock. */
  businessHours: boolean;
}

/** A company's SLA policy: one per company, with the business hours its targets may count in (in the company's time zone). */
@Entity('sla_policies')
@Index(['companyId'], { unique: true })
export class SlaPolicy extends TenantOwned {
  @Column({ type: 'jsonb', default: () => "'[]'" })
  targets!: SlaTarget[];

  @Column({ type: 'jsonb', default: () => "'[]'" })
  hours!: OpeningHours[];

  /** Local dates, "YYYY-MM-DD", when the business hours do not run. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  holidays!: string[];

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
