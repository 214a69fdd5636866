import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

export enum InboundEventState {
  Pending = 'pending',
  Processed = 'processed',
  /** Well-signed but unusable: unknown Page, unknown kind, malformed item. */
  Ignored = 'ignored',
  /** Processing threw; kept with the error for inspection, never blocks its conversation. */
  Failed = 'failed',
}

/**
 * Every acknowledged webhook event, written before the 200: the source of truth for what
 * still has to be processed, whatever happens to Redis. Not tenant-owned yet when written
 * (the Page is resolved when processed), so it is keyed by Page.
 */
@Entity('inbound_events')
@Index(['pageId', 'dedupeKey'], { unique: true })
@Index('IDX_inbound_events_pending', { synchronize: false })
@Index('IDX_inbound_events_pending_age', { synchronize: false })
@Index(['receivedAt'])
export class InboundEvent {
  @PrimaryGeneratedColumn('identity', { type: 'bigint' })
  id!: string;

  @Column({ type: 'varchar', length: 64 })
  pageId!: string;

  /** The customer side of the conversation (PSID or user_ref): events of one conversation apply in order. */
  @Column({ type: 'varchar', length: 200 })
  conversation!: string;

  /** `m:<mid>` for messages, else a hash of the event: what makes a replay a no-op. */
  @Column({ type: 'varchar', length: 220 })
  dedupeKey!: string;

  @Column({ type: 'varchar', length: 40 })
  kind!: string;

  @Column({ type: 'boolean', default: false })
  standby!: boolean;

  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  @Column({ type: 'timestamptz', precision: 3 })
  occurredAt!: Date;

  @Column({ type: 'enum', enum: InboundEventState, enumName: 'inbound_event_state', default: InboundEventState.Pending })
  state!: InboundEventState;

  @Column({ type: 'uuid', nullable: true })
  companyId!: string | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  error!: string | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  receivedAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  processedAt!: Date | null;
}
