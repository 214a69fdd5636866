import { Column, CreateDateColumn, Entity, Index } from 'typeorm';
import { TenantOwned } from '../companies/tenant-owned';

export enum MessageDirection {
  Inbound = 'inbound',
  Outbound = 'outbound',
}

export enum MessageKind {
  Text = 'text',
  Attachments = 'attachments',
  Postback = 'postback',
}

/**
 * One message in a ticket's timeline. Meta's mid is unique per Page (a unique index,
 * not a check), which is what makes replayed webhooks harmless.
 */
@Entity('messages')
@Index(['ticketId', 'sentAt', 'id'])
@Index(['pageId', 'mid'], { unique: true })
@Index(['companyId', 'createdAt'])
// Full-text search (migration Search): GIN on to_tsvector('simple', coalesce(text, '')).
@Index('IDX_messages_text_fts', { synchronize: false })
// Delivery and read watermarks only touch what is not yet delivered or read.
@Index(['contactId', 'sentAt'], { where: "direction = 'outbound' AND delivered_at IS NULL" })
@Index(['contactId', 'sentAt'], { where: "direction = 'outbound' AND read_at IS NULL" })
export class Message extends TenantOwned {
  @Column({ type: 'uuid' })
  ticketId!: string;

  @Column({ type: 'uuid' })
  contactId!: string;

  @Column({ type: 'uuid' })
  channelId!: string;

  @Column({ type: 'varchar', length: 64 })
  pageId!: string;

  /** Meta's message id; null only for outbound messages not yet accepted by Meta. */
  @Column({ type: 'varchar', length: 200, nullable: true })
  mid!: string | null;

  @Column({ type: 'enum', enum: MessageDirection, enumName: 'message_direction' })
  direction!: MessageDirection;

  @Column({ type: 'enum', enum: MessageKind, enumName: 'message_kind' })
  kind!: MessageKind;

  @Column({ type: 'text', nullable: true })
  text!: string | null;

  /** Attachments, quick-reply and postback payloads, reply_to, referral: what Meta sent beyond the text. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  content!: Record<string, unknown>;

  /** For outbound messages sent from outside Guichet (the Page inbox, another app). */
  @Column({ type: 'varchar', length: 64, nullable: true })
  appId!: string | null;

  /** The agent who wrote an outbound message in Guichet. */
  @Column({ type: 'uuid', nullable: true })
  authorId!: string | null;

  /** Reactions by kind, as the customer left them: `{ "love": "❤" }`. */
  @Column({ type: 'jsonb', default: () => "'{}'" })
  reactions!: Record<string, string>;

  /** Earlier texts, oldest first, when the customer edited the message. */
  @Column({ type: 'jsonb', default: () => "'[]'" })
  edits!: Array<{ text: string | null; editedAt: string }>;

  /** When Meta says it happened (the event timestamp): the timeline's order. */
  @Column({ type: 'timestamptz', precision: 3 })
  sentAt!: Date;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  deliveredAt!: Date | null;

  @Column({ type: 'timestamptz', precision: 3, nullable: true })
  readAt!: Date | null;

  @CreateDateColumn({ type: 'timestamptz', precision: 3 })
  createdAt!: Date;
}
