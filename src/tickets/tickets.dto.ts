import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsEnum, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../common/pagination/page.dto';
import { MessageDeliveryDto } from '../delivery/deliveries.dto';
import { type Message, MessageDirection, MessageKind } from './message.entity';
import { type Ticket, TicketPriority, TicketStatus } from './ticket.entity';

export class TicketQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TicketStatus, enumName: 'TicketStatus', isArray: true, description: 'One or more, comma-separated' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value))
  @ArrayMaxSize(6)
  @IsEnum(TicketStatus, { each: true })
  status?: TicketStatus[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  queueId?: string;
}

export class ReplyWindowDto {
  @ApiProperty({ enum: ['standard', 'human_agent', 'closed'], description: "standard: 24 h after the customer's last action; human_agent: up to 7 days, human replies only, when the Page has Human Agent" })
  mode!: 'standard' | 'human_agent' | 'closed';

  @ApiProperty({ type: Date, nullable: true, description: 'When the current mode ends (or ended, when closed); null if the customer never wrote' })
  expiresAt!: Date | null;
}

export class TicketDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'Sequential per company: #1, #2, …' })
  number!: number;

  @ApiProperty({ enum: TicketStatus, enumName: 'TicketStatus' })
  status!: TicketStatus;

  @ApiProperty({ enum: TicketPriority, enumName: 'TicketPriority' })
  priority!: TicketPriority;

  @ApiProperty()
  subject!: string;

  @ApiProperty({ format: 'uuid' })
  channelId!: string;

  @ApiProperty({ format: 'uuid' })
  contactId!: string;

  @ApiProperty({ format: 'uuid' })
  queueId!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The ticket this one follows up' })
  previousTicketId!: string | null;

  @ApiProperty({ type: Date, nullable: true })
  lastCustomerMessageAt!: Date | null;

  @ApiProperty({ type: ReplyWindowDto, description: "How long an agent may still answer under Meta's rules" })
  replyWindow!: ReplyWindowDto;

  @ApiProperty()
  createdAt!: Date;
}

export class MessageDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: MessageDirection, enumName: 'MessageDirection' })
  direction!: MessageDirection;

  @ApiProperty({ enum: MessageKind, enumName: 'MessageKind' })
  kind!: MessageKind;

  @ApiProperty({ type: String, nullable: true })
  text!: string | null;

  @ApiProperty({ type: Object, description: 'attachments, quickReply, replyTo, payload, referral' })
  content!: Record<string, unknown>;

  @ApiProperty({ type: Object, description: 'Reactions by kind, e.g. {"love": "❤"}' })
  reactions!: Record<string, string>;

  @ApiProperty({ type: Object, isArray: true, description: 'Earlier versions when the customer edited the message' })
  edits!: Array<{ text: string | null; editedAt: string }>;

  @ApiProperty({ type: String, nullable: true, description: 'Set for messages sent from outside Guichet' })
  appId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The agent who wrote it in Guichet' })
  authorId!: string | null;

  @ApiProperty({ type: MessageDeliveryDto, nullable: true, description: 'For messages sent through Guichet: where their delivery stands' })
  delivery!: MessageDeliveryDto | null;

  @ApiProperty()
  sentAt!: Date;

  @ApiProperty({ type: Date, nullable: true })
  deliveredAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  readAt!: Date | null;
}

export const mapTicket = (t: Ticket, replyWindow: ReplyWindowDto): TicketDto => ({
  id: t.id,
  number: t.number,
  status: t.status,
  priority: t.priority,
  subject: t.subject,
  channelId: t.channelId,
  contactId: t.contactId,
  queueId: t.queueId,
  previousTicketId: t.previousTicketId,
  lastCustomerMessageAt: t.lastCustomerMessageAt,
  replyWindow,
  createdAt: t.createdAt,
});

export const mapMessage = (m: Message, delivery: MessageDeliveryDto | null = null): MessageDto => ({
  id: m.id,
  direction: m.direction,
  kind: m.kind,
  text: m.text,
  content: m.content,
  reactions: m.reactions,
  edits: m.edits,
  appId: m.appId,
  authorId: m.authorId,
  delivery,
  sentAt: m.sentAt,
  deliveredAt: m.deliveredAt,
  readAt: m.readAt,
});
