import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import { ArrayMaxSize, ArrayMinSize, ArrayUnique, IsArray, IsBoolean, IsEnum, IsIn, IsInt, IsISO8601, IsObject, Max, Min, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf, ValidateNested } from 'class-validator';
import { PageQueryDto } from '../common/pagination/page.dto';
import { Optional, Text } from '../common/validation/decorators';
import { MessageDeliveryDto } from '../delivery/deliveries.dto';
import { TicketSlaDto } from '../sla/sla.dto';
import { type Message, MessageDirection, MessageKind } from './message.entity';
import { ActorKind, type TicketEvent, TicketEventKind } from './ticket-event.entity';
import { type Ticket, TicketPriority, TicketStatus } from './ticket.entity';

/** Most tags a ticket carries; a tag is 1 to 50 characters of letters, digits, `-`, `_`, `.`, `:` or `/`. */
export const MAX_TAGS = 20;
const TAG = /^[\p{L}\p{N}][\p{L}\p{N}_.:/-]{0,49}$/u;
const normalizeTags = Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((tag: unknown) => (typeof tag === 'string' ? tag.trim().toLowerCase() : tag)) : value));

export const TICKET_SORTS = ['last_customer_message', 'created', 'priority', 'sla_due'] as const;
export type TicketSort = (typeof TICKET_SORTS)[number];

const commaList = Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value));

export class TicketQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: TicketStatus, enumName: 'TicketStatus', isArray: true, description: 'One or more, comma-separated' })
  @IsOptional()
  @commaList
  @ArrayMaxSize(6)
  @IsEnum(TicketStatus, { each: true })
  status?: TicketStatus[];

  @ApiPropertyOptional({ enum: TicketPriority, enumName: 'TicketPriority', isArray: true, description: 'One or more, comma-separated' })
  @IsOptional()
  @commaList
  @ArrayMaxSize(4)
  @IsEnum(TicketPriority, { each: true })
  priority?: TicketPriority[];

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  queueId?: string;

  @ApiPropertyOptional({ description: "An agent's id, `me` (agents only) or `none` (unassigned)" })
  @IsOptional()
  @Matches(/^(me|none|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, { message: 'assignee must be an agent id, me or none' })
  assignee?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  contactId?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  channelId?: string;

  @ApiPropertyOptional({ description: 'Tickets carrying this tag' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim().toLowerCase() : value))
  @IsString()
  @MaxLength(50)
  tag?: string;

  @ApiPropertyOptional({ type: Date, description: 'Tickets changed at or after this instant (ISO 8601)' })
  @IsOptional()
  @IsISO8601({ strict: true })
  updatedSince?: string;

  @ApiPropertyOptional({ minimum: 1, maximum: 10_080, description: "Tickets an agent can still answer under Meta's rules, but for at most this many minutes more (24 h after the customer's last message, 7 days on Pages with Human Agent)" })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(10_080)
  replyWindowClosesWithinMinutes?: number;

  @ApiPropertyOptional({ type: Boolean, description: 'true: tickets that missed an SLA target; false: those that did not' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value))
  @IsBoolean()
  slaBreached?: boolean;

  @ApiPropertyOptional({
    enum: TICKET_SORTS,
    default: 'last_customer_message',
    description: 'last_customer_message and created: newest first; priority: urgent first, then newest customer message; sla_due: tickets with a running SLA clock only, the soonest due first. A cursor belongs to the sort it came from',
  })
  @IsOptional()
  @IsIn(TICKET_SORTS)
  sort?: TicketSort;
}

const TagList = (description?: string): PropertyDecorator =>
  applyDecorators(ApiPropertyOptional({ type: [String], maxItems: MAX_TAGS, description }), Optional(), normalizeTags, IsArray(), ArrayMaxSize(MAX_TAGS), IsString({ each: true }), MaxLength(50, { each: true }));

export class TagChangesDto {
  @TagList('Lower-cased; added once')
  @Matches(TAG, { each: true, message: 'each tag is 1 to 50 letters, digits, -, _, ., : or /, starting with a letter or digit' })
  add?: string[];

  @TagList()
  remove?: string[];
}

/** Only the fields sent change; each change becomes an event in the ticket's timeline. */
export class UpdateTicketDto {
  @ApiPropertyOptional({ enum: TicketStatus, enumName: 'TicketStatus', description: 'Allowed transitions only (400 invalid_transition); closed: admins only' })
  @Optional()
  @IsEnum(TicketStatus)
  status?: TicketStatus;

  @ApiPropertyOptional({ enum: TicketPriority, enumName: 'TicketPriority' })
  @Optional()
  @IsEnum(TicketPriority)
  priority?: TicketPriority;

  @ApiPropertyOptional({ type: String, format: 'uuid', nullable: true, description: 'An active agent of the company; null unassigns' })
  @ValidateIf((_, value) => value !== undefined && value !== null)
  @IsUUID()
  assigneeId?: string | null;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsUUID()
  queueId?: string;

  @ApiPropertyOptional({ type: TagChangesDto })
  @Optional()
  @IsObject()
  @ValidateNested()
  @Type(() => TagChangesDto)
  tags?: TagChangesDto;
}

export class MergeDto {
  @ApiProperty({ format: 'uuid', description: 'A ticket of the same contact, which receives the whole timeline' })
  @IsUUID()
  intoTicketId!: string;
}

export class NoteDto {
  @Text({ max: 20_000, description: 'Visible to agents only; never sent to the customer' })
  text!: string;
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

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  assigneeId!: string | null;

  @ApiProperty({ type: [String] })
  tags!: string[];

  @ApiProperty({ type: Date, nullable: true })
  solvedAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  closedAt!: Date | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The ticket this one was merged into' })
  mergedIntoId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The ticket this one follows up' })
  previousTicketId!: string | null;

  @ApiProperty({ type: Date, nullable: true })
  lastCustomerMessageAt!: Date | null;

  @ApiProperty({ type: ReplyWindowDto, description: "How long an agent may still answer under Meta's rules" })
  replyWindow!: ReplyWindowDto;

  @ApiProperty({ type: TicketSlaDto, description: "The company's SLA targets for this ticket" })
  sla!: TicketSlaDto;

  @ApiProperty()
  createdAt!: Date;
}

export class MessageDto {
  @ApiProperty({ enum: ['message'], description: 'A Messenger message, either way' })
  type!: 'message';

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
  assigneeId: t.assigneeId,
  tags: t.tags,
  solvedAt: t.solvedAt,
  closedAt: t.closedAt,
  mergedIntoId: t.mergedIntoId,
  previousTicketId: t.previousTicketId,
  lastCustomerMessageAt: t.lastCustomerMessageAt,
  replyWindow,
  sla: {
    firstReplyDueAt: t.replyTarget === 'first_reply' ? t.replyDueAt : null,
    nextReplyDueAt: t.replyTarget === 'next_reply' ? t.replyDueAt : null,
    breached: t.slaBreached,
  },
  createdAt: t.createdAt,
});

export const mapMessage = (m: Message, delivery: MessageDeliveryDto | null = null): MessageDto => ({
  type: 'message',
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

export class ActorDto {
  @ApiProperty({ enum: ActorKind, enumName: 'ActorKind' })
  kind!: ActorKind;

  @ApiProperty({ type: String, format: 'uuid', nullable: true, description: 'The agent or API key; null for the customer and for Guichet' })
  id!: string | null;
}

/** A private note or a change, in the timeline beside the messages. */
export class TicketEventDto {
  @ApiProperty({ enum: ['note', 'event'] })
  type!: 'note' | 'event';

  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: TicketEventKind, enumName: 'TicketEventKind' })
  kind!: TicketEventKind;

  @ApiProperty({ type: ActorDto })
  actor!: ActorDto;

  @ApiProperty({ type: String, nullable: true, description: "A note's text" })
  text!: string | null;

  @ApiProperty({ type: Object, description: 'For changes: {from, to}; for tags: {added, removed}; for a merge: {into} on the merged ticket, {from, number} on the other' })
  data!: Record<string, unknown>;

  @ApiProperty({ description: 'Its place in the timeline, on the clock of messages\' sentAt' })
  at!: Date;
}

export type TimelineItemDto = MessageDto | TicketEventDto;


export const mapEvent = (e: TicketEvent): TicketEventDto => ({
  type: e.kind === TicketEventKind.Note ? 'note' : 'event',
  id: e.id,
  kind: e.kind,
  actor: { kind: e.actorKind, id: e.actorId },
  text: e.text,
  data: e.data,
  at: e.at,
});

export class QueueCountDto {
  @ApiProperty({ format: 'uuid' })
  queueId!: string;

  @ApiProperty({ description: 'Tickets not yet solved: new, open, pending, on hold' })
  unfinished!: number;
}

/** What an agent's sidebar shows; read from counters kept by the database, so it costs the same at any size. */
export class TicketCountsDto {
  @ApiProperty({ type: Object, description: 'Every status, with 0 when none: {"new": 3, "open": 12, …}' })
  byStatus!: Record<TicketStatus, number>;

  @ApiProperty({ type: [QueueCountDto], description: 'Queues with unfinished tickets' })
  byQueue!: QueueCountDto[];

  @ApiProperty({ type: Number, nullable: true, description: "The calling agent's unfinished tickets; null for an API key" })
  mine!: number | null;

  @ApiProperty({ description: 'Unfinished tickets nobody has' })
  unassigned!: number;
}

export class BulkUpdateDto {
  @ApiProperty({ type: [String], format: 'uuid', minItems: 1, maxItems: 100, description: 'Each ticket is changed on its own, atomically' })
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(100)
  @ArrayUnique()
  @IsUUID(undefined, { each: true })
  ids!: string[];

  @ApiProperty({ type: UpdateTicketDto })
  @IsObject()
  @ValidateNested()
  @Type(() => UpdateTicketDto)
  changes!: UpdateTicketDto;
}

export class BulkResultDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ description: 'The HTTP status this ticket alone would have got' })
  status!: number;

  @ApiProperty({ type: TicketDto, nullable: true })
  ticket!: TicketDto | null;

  @ApiProperty({ type: Object, nullable: true, description: 'The error ({code, message, details}) when status is not 200' })
  error!: { code: string; message: string; details?: unknown } | null;
}

export class BulkResultsDto {
  @ApiProperty({ type: [BulkResultDto], description: 'In the order of ids' })
  results!: BulkResultDto[];
}
