import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, UpdateDateColumn } from 'typeorm';
import { Agent } from '../companies/agent.entity';
import { TenantOwned } from '../companies/tenant-owned';
import { Queue } from './queue.entity';

export enum TicketStatus {
  New = 'new',
  Open = 'open',
  Pending = 'pending',
  OnHold = 'on_hold',
  Solved = 'solved',
  Closed = 'closed',
}

export const UNFINISHED_STATUSES = [TicketStatus.New, TicketStatus.Open, TicketStatus.Pending, TicketStatus.OnHold] as const;

/** The statuses that count against an agent's capacity: the ticket needs them now. */
export const WORKLOAD_STATUSES = [TicketStatus.New, TicketStatus.Open] as const;

export enum TicketPriority {
  Low = 'low',
  Normal = 'normal',
  High = 'high',
  Urgent = 'urgent',
}

/** Which reply a ticket's SLA clock waits for. */
export type SlaTargetKind = 'first_reply' | 'next_reply';

/**
 * One conversation thread with a contact. At most one unfinished ticket per contact
 * (a partial unique index), so two simultaneous first messages cannot open two.
 */
@Entity('tickets')
@Index(['companyId', 'number'], { unique: true })
@Index(['companyId', 'createdAt', 'id'])
@Index(['companyId', 'activityAt', 'id'])
@Index(['contactId', 'createdAt'])
@Index(['queueId'])
@Index(['assigneeId'])
// Auto-close walks only the solved tickets, oldest first.
@Index(['solvedAt'], { where: "status = 'solved'" })
// Auto-assignment: the tickets waiting for an agent, oldest first, and each agent's workload.
@Index('IDX_tickets_waiting', ['companyId', 'createdAt', 'id'], { where: "assignee_id IS NULL AND status IN ('new', 'open')" })
@Index('IDX_tickets_workload', ['assigneeId'], { where: "status IN ('new', 'open')" })
// The list sorted by priority, and by SLA due time (running clocks only); the breach sweep.
@Index(['companyId', 'priority', 'activityAt', 'id'])
@Index('IDX_tickets_reply_due', ['companyId', 'replyDueAt', 'id'], { where: 'reply_due_at IS NOT NULL' })
@Index('IDX_tickets_breach_due', ['replyDueAt'], { where: 'reply_due_at IS NOT NULL AND NOT reply_breached' })
@Index('UQ_tickets_one_unfinished_per_contact', { synchronize: false })
export class Ticket extends TenantOwned {
  /** #1, #2, … per company, taken from companies.last_ticket_number under its row lock. */
  @Column({ type: 'integer' })
  number!: number;

  @Column({ type: 'uuid' })
  channelId!: string;

  @Column({ type: 'uuid' })
  contactId!: string;

  @Column({ type: 'uuid' })
  queueId!: string;

  @ManyToOne(() => Queue, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'queue_id' })
  queue?: Queue;

  @Column({ type: 'enum', enum: TicketStatus, enumName: 'ticket_status', default: TicketStatus.New })
  status!: TicketStatus;

  @Column({ type: 'enum', enum: TicketPriority, enumName: 'ticket_priority', default: TicketPriority.Normal })
  priority!: TicketPriority;

  @Column({ type: 'varchar', length: 80 })
  subject!: string;

  @Column({ type: 'uuid', nullable: true })
  assigneeId!: string | null;

  @ManyToOne(() => Agent, { onDelete: 'SET NULL' })
  @JoinColumn({ name: 'assignee_id' })
  assignee?: Agent;

  /** Lower-case labels, sorted, without duplicates. */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  tags!: string[];

  /** The ticket this one follows up, when the customer wrote again after the reopen window. */
  @Column({ type: 'uuid', nullable: true })
  previousTicketId!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  solvedAt!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  closedAt!: Date | null;

  /** Set when the ticket was merged into another, which holds its timeline since. */
  @Column({ type: 'uuid', nullable: true })
  mergedIntoId!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  lastCustomerMessageAt!: Date | null;

  /** The list's default order: when the customer last wrote, or when the ticket began if they never did. */
  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  activityAt!: Date;

  /** The first customer message no agent has answered yet; null while nobody waits. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  awaitingReplySince!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  firstRepliedAt!: Date | null;

  /** The running SLA clock: when the awaited reply is due, and which reply it is. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  replyDueAt!: Date | null;

  @Column({ type: 'varchar', length: 16, nullable: true })
  replyTarget!: SlaTargetKind | null;

  /** The running clock passed and its breach was recorded. */
  @Column({ type: 'boolean', default: false })
  replyBreached!: boolean;

  /** Some SLA target of this ticket was missed. */
  @Column({ type: 'boolean', default: false })
  slaBreached!: boolean;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
