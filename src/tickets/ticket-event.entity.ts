import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';
import { Ticket } from './ticket.entity';

/** What happened to a ticket besides its messages: private notes and every change, in its timeline. */
export enum TicketEventKind {
  Note = 'note',
  StatusChanged = 'status_changed',
  PriorityChanged = 'priority_changed',
  AssigneeChanged = 'assignee_changed',
  QueueChanged = 'queue_changed',
  TagsChanged = 'tags_changed',
  Merged = 'merged',
  SlaBreached = 'sla_breached',
}

/** Who made a change: an agent, an API key, the customer (a message that reopened the ticket) or Guichet itself (auto-close). */
export enum ActorKind {
  Agent = 'agent',
  ApiKey = 'api_key',
  Customer = 'customer',
  System = 'system',
}

/**
 * One entry of a ticket's timeline that is not a Messenger message. Notes are visible to agents
 * only and never sent. Changes carry `{from, to}` (or `{added, removed}` for tags) so the timeline
 * reads without the ticket's history being reconstructed.
 */
@Entity('ticket_events')
@Index(['ticketId', 'at', 'id'])
export class TicketEvent extends TenantOwned {
  @Column({ type: 'uuid' })
  ticketId!: string;

  @ManyToOne(() => Ticket, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'ticket_id' })
  ticket?: Ticket;

  @Column({ type: 'enum', enum: TicketEventKind, enumName: 'ticket_event_kind' })
  kind!: TicketEventKind;

  @Column({ type: 'enum', enum: ActorKind, enumName: 'ticket_actor_kind' })
  actorKind!: ActorKind;

  /** The agent or API key; null for the customer and for Guichet. */
  @Column({ type: 'uuid', nullable: true })
  actorId!: string | null;

  /** The note's text; null for changes. */
  @Column({ type: 'text', nullable: true })
  text!: string | null;

  @Column({ type: 'jsonb', default: () => "'{}'" })
  data!: Record<string, unknown>;

  /** Its place in the timeline, on the same clock as messages' `sent_at`. */
  @Column({ type: 'timestamptz', precision: 3 })
  at!: Date;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
