import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsEnum, IsOptional, IsUUID } from 'class-validator';
import { PageQueryDto } from '../common/pagination/page.dto';
import { type Delivery, DeliveryState, Lane } from './delivery.entity';
import { type MessageDeliveryRow } from './delivery.repository';
import { Purpose } from './policy';

export class DeliveryQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: DeliveryState, enumName: 'DeliveryState' })
  @IsOptional()
  @IsEnum(DeliveryState)
  state?: DeliveryState;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  channelId?: string;

  @ApiPropertyOptional({ enum: Lane, enumName: 'DeliveryLane' })
  @IsOptional()
  @IsEnum(Lane)
  lane?: Lane;
}

export class DeliveryFailureDto {
  @ApiProperty({ type: Number, nullable: true, description: "Meta's error code" })
  code!: number | null;

  @ApiProperty({ type: Number, nullable: true, description: "Meta's error subcode" })
  subcode!: number | null;

  @ApiProperty({ type: String, nullable: true, description: 'For skipped deliveries: the policy refusal, e.g. outside_messaging_window' })
  refusal!: string | null;

  @ApiProperty()
  reason!: string;
}

export class DeliveryDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: DeliveryState, enumName: 'DeliveryState' })
  state!: DeliveryState;

  @ApiProperty({ enum: Lane, enumName: 'DeliveryLane' })
  lane!: Lane;

  @ApiProperty({ enum: Purpose, enumName: 'DeliveryPurpose' })
  purpose!: Purpose;

  @ApiProperty({ format: 'uuid' })
  channelId!: string;

  @ApiProperty({ format: 'uuid' })
  contactId!: string;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  ticketId!: string | null;

  @ApiProperty({ type: String, format: 'uuid', nullable: true })
  messageId!: string | null;

  @ApiProperty({ description: 'Index of this Send API call within its message (long texts are split)' })
  part!: number;

  @ApiProperty({ type: Object, description: 'The policy decision taken when the message was queued: why it was legal' })
  decision!: Record<string, unknown>;

  @ApiProperty({ type: Object, nullable: true, description: 'The decision taken again just before sending, which the call used' })
  sendDecision!: Record<string, unknown> | null;

  @ApiProperty({ type: String, nullable: true })
  messagingType!: string | null;

  @ApiProperty({ type: String, nullable: true })
  tag!: string | null;

  @ApiProperty()
  attempts!: number;

  @ApiProperty({ type: String, nullable: true, description: "Meta's message id once sent" })
  mid!: string | null;

  @ApiProperty({ type: DeliveryFailureDto, nullable: true })
  failure!: DeliveryFailureDto | null;

  @ApiProperty({ type: Date, nullable: true })
  sentAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  deliveredAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true })
  readAt!: Date | null;

  @ApiProperty()
  createdAt!: Date;
}

export const mapDelivery = (d: Delivery): DeliveryDto => ({
  id: d.id,
  state: d.state,
  lane: d.lane,
  purpose: d.purpose,
  channelId: d.channelId,
  contactId: d.contactId,
  ticketId: d.ticketId,
  messageId: d.messageId,
  part: d.part,
  decision: d.decision,
  sendDecision: d.sendDecision,
  messagingType: d.messagingType,
  tag: d.tag,
  attempts: d.attempts,
  mid: d.mid,
  failure: failureOf(d),
  sentAt: d.sentAt,
  deliveredAt: d.deliveredAt,
  readAt: d.readAt,
  createdAt: d.createdAt,
});

/** What a timeline message shows: its parts' states folded into one. */
export class MessageDeliveryDto {
  @ApiProperty({ enum: DeliveryState, enumName: 'DeliveryState' })
  state!: DeliveryState;

  @ApiProperty({ description: 'How many Send API calls the message took' })
  parts!: number;

  @ApiProperty({ type: DeliveryFailureDto, nullable: true })
  failure!: DeliveryFailureDto | null;
}

const PROGRESS = [DeliveryState.Queued, DeliveryState.Sending, DeliveryState.Sent, DeliveryState.Delivered, DeliveryState.Read];
const TROUBLE = [DeliveryState.Failed, DeliveryState.Skipped, DeliveryState.Unknown];

/** Any trouble wins (failed before skipped before unknown); otherwise the least advanced part. */
export function foldDeliveries(rows: MessageDeliveryRow[]): MessageDeliveryDto {
  const trouble = TROUBLE.map((state) => rows.find((row) => row.state === state)).find((row) => row !== undefined);
  const state = trouble?.state ?? PROGRESS[Math.min(...rows.map((row) => PROGRESS.indexOf(row.state)))];
  return { state, parts: rows.length, failure: trouble ? failureOf(trouble) : null };
}

function failureOf(row: Pick<MessageDeliveryRow, 'errorCode' | 'errorSubcode' | 'refusalCode' | 'errorReason'>): DeliveryFailureDto | null {
  return row.errorReason === null ? null : { code: row.errorCode, subcode: row.errorSubcode, refusal: row.refusalCode, reason: row.errorReason };
}
