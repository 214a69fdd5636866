import { Column, CreateDateColumn, Entity, Generated, Index, UpdateDateColumn } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';
import { Purpose } from './policy';

export enum DeliveryState {
  Queued = 'queued',
  /** Leased by a worker: the Graph call is about to start or under way. */
  Sending = 'sending',
  Sent = 'sent',
  Delivered = 'delivered',
  Read = 'read',
  Failed = 'failed',
  /** Refused by policy; never reached Meta. */
  Skipped = 'skipped',
  /** The call may or may not have reached Meta (timeout after sending, worker died mid-call). */
  Unknown = 'unknown',
}

/** Served in this order: a broadcast never waits in front of a person. */
export enum Lane {
  AgentReply = 'agent_reply',
  Transactional = 'transactional',
  Promotion = 'promotion',
}

/**
 * The outbox: one row per Send API call. Written in the transaction of the business change that
 * caused it; jobs only name the Page and lane to serve, so Redis losing them loses nothing.
 */
@Entity('deliveries')
@Index(['companyId', 'createdAt', 'id'])
@Index(['companyId', 'state', 'createdAt', 'id'])
@Index(['messageId'])
// The claim walks a Page's queued rows in order; the predecessor check looks up a contact's unfinished rows.
@Index(['channelId', 'lane', 'seq'], { where: "state = 'queued'" })
@Index(['contactId', 'lane', 'seq'], { where: "state IN ('queued', 'sending', 'unknown')" })
@Index(['leaseUntil'], { where: "state = 'sending'" })
@Index(['channelId', 'lane'], { where: "state = 'sending'" })
@Index(['unknownAt'], { where: "state = 'unknown'" })
@Index(['contactId', 'sentAt'], { where: "state IN ('sent', 'delivered')" })
@Index(['pageId', 'mid'], { where: 'mid IS NOT NULL' })
export class Delivery extends TenantOwned {
  /** Creation order, gap-tolerant: parts of one message and replies of one conversation go out in it. */
  @Column({ type: 'bigint' })
  @Generated('increment')
  seq!: string;

  @Column({ type: 'uuid' })
  channelId!: string;

  @Column({ type: 'varchar', length: 64 })
  pageId!: string;

  @Column({ type: 'uuid' })
  contactId!: string;

  @Column({ type: 'varchar', length: 64 })
  psid!: string;

  @Column({ type: 'uuid', nullable: true })
  ticketId!: string | null;

  /** The timeline message this call is a part of (a long text is several calls). */
  @Column({ type: 'uuid', nullable: true })
  messageId!: string | null;

  @Column({ type: 'smallint', default: 0 })
  part!: number;

  @Column({ type: 'enum', enum: Lane, enumName: 'delivery_lane' })
  lane!: Lane;

  @Column({ type: 'enum', enum: Purpose, enumName: 'delivery_purpose' })
  purpose!: Purpose;

  @Column({ type: 'enum', enum: DeliveryState, enumName: 'delivery_state', default: DeliveryState.Queued })
  state!: DeliveryState;

  /** The Send API `message` object, composed before queuing. */
  @Column({ type: 'jsonb' })
  payload!: Record<string, unknown>;

  /** Audio and video: Meta allows 10 per second per Page. */
  @Column({ type: 'boolean', default: false })
  media!: boolean;

  @Column({ type: 'varchar', length: 100, nullable: true })
  utilityTemplate!: string | null;

  /** The policy decision when queued: the evidence of why this message was legal. */
  @Column({ type: 'jsonb' })
  decision!: Record<string, unknown>;

  /** The decision taken again just before the call, which is the one the call used. */
  @Column({ type: 'jsonb', nullable: true })
  sendDecision!: Record<string, unknown> | null;

  @Column({ type: 'varchar', length: 20, nullable: true })
  messagingType!: string | null;

  @Column({ type: 'varchar', length: 40, nullable: true })
  tag!: string | null;

  @Column({ type: 'int', default: 0 })
  attempts!: number;

  @Column({ type: 'timestamptz', precision: 3, default: () => 'now()' })
  nextAttemptAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  leaseUntil!: Date | null;

  /** Fences the lease: only the worker holding this id may settle the delivery. */
  @Column({ type: 'uuid', nullable: true })
  leaseId!: string | null;

  /** Set in the same statement that lets the Graph call start: a lease that expires without it never reached Meta. */
  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  dispatchedAt!: Date | null;

  @Column({ type: 'varchar', length: 200, nullable: true })
  mid!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  sentAt!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  readAt!: Date | null;

  @Column({ type: 'int', nullable: true })
  errorCode!: number | null;

  @Column({ type: 'int', nullable: true })
  errorSubcode!: number | null;

  @Column({ type: 'varchar', length: 500, nullable: true })
  errorReason!: string | null;

  /** For `skipped`: the policy's refusal code. */
  @Column({ type: 'varchar', length: 40, nullable: true })
  refusalCode!: string | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  unknownAt!: Date | null;

  /** Resends after an unknown outcome; at most one, and never for promotions. */
  @Column({ type: 'smallint', default: 0 })
  resends!: number;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;

  @UpdateDateColumn({ type: 'timestamptz', precision: 3 })
  updatedAt!: Date;
}
