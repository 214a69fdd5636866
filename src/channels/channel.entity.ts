import { Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';
import { Queue } from '../tickets/queue.entity';

export enum ChannelStatus {
  Active = 'active',
  /** Graph answered 190, or the stored token cannot be decrypted: an admin must replace it. */
  NeedsReauth = 'needs_reauth',
  /** Graph answered 10/1893063: the Page may not send for now. */
  Restricted = 'restricted',
}

/** A connected Facebook Page. A Page belongs to one company at a time (partial unique index). */
@Entity('channels')
@Index(['companyId', 'createdAt', 'id'])
@Index('UQ_channels_connected_page', { synchronize: false })
@Index(['pageId'])
export class Channel extends TenantOwned {
  @Column({ type: 'varchar', length: 64 })
  pageId!: string;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'uuid' })
  defaultQueueId!: string;

  @ManyToOne(() => Queue, { onDelete: 'RESTRICT' })
  @JoinColumn({ name: 'default_queue_id' })
  defaultQueue?: Queue;

  /** AES-256-GCM envelope bound to (company, channel, column); null once disconnected. */
  @Column({ type: 'text', nullable: true, select: false })
  accessTokenEnc!: string | null;

  /** Shown instead of the token, e.g. `EAAG…1234`. */
  @Column({ type: 'varchar', length: 16 })
  tokenMask!: string;

  @Column({ type: 'enum', enum: ChannelStatus, enumName: 'channel_status', default: ChannelStatus.Active })
  status!: ChannelStatus;

  @Column({ type: 'varchar', length: 300, nullable: true })
  statusReason!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  disconnectedAt!: Date | null;

  /** Meta approved the Human Agent feature for this Page: human replies may go out up to 7 days. */
  @Column({ type: 'boolean', default: false })
  humanAgentEnabled!: boolean;

  /** The Page may send paid Marketing Messages to contacts holding an opt-in token. */
  @Column({ type: 'boolean', default: false })
  marketingMessagesEnabled!: boolean;

  /** Names of the utility templates Meta approved for this Page (transactional updates outside the window). */
  @Column({ type: 'text', array: true, default: () => "'{}'" })
  utilityTemplates!: string[];

  /** Meta asked the Page to wait (429 Retry-After, a rate-limit code, business use case usage): no send before this. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  sendPausedUntil!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
