import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsEnum, IsInt, IsISO8601, Matches, Max, Min, ValidateIf, ValidateNested } from 'class-validator';
import { TicketPriority } from '../tickets/ticket.entity';

/** A year: longer targets are a typo. */
const MAX_MINUTES = 525_600;
const TIME = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;

export class SlaTargetDto {
  @ApiProperty({ enum: TicketPriority, enumName: 'TicketPriority' })
  @IsEnum(TicketPriority)
  priority!: TicketPriority;

  @ApiProperty({ type: Number, nullable: true, minimum: 1, maximum: MAX_MINUTES, description: "Minutes from the customer's first message to an agent's first public reply; null for none" })
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX_MINUTES)
  firstReplyMinutes!: number | null;

  @ApiProperty({ type: Number, nullable: true, minimum: 1, maximum: MAX_MINUTES, description: "Minutes from a customer's message to the agent's next public reply; null for none" })
  @ValidateIf((_, v) => v !== null)
  @IsInt()
  @Min(1)
  @Max(MAX_MINUTES)
  nextReplyMinutes!: number | null;

  @ApiProperty({ description: "true: counted in the business hours below, in the company's time zone; false: around the clock" })
  @IsBoolean()
  businessHours!: boolean;
}

export class OpeningHoursDto {
  @ApiProperty({ minimum: 1, maximum: 7, description: 'ISO weekday: 1 is Monday, 7 is Sunday' })
  @IsInt()
  @Min(1)
  @Max(7)
  day!: number;

  @ApiProperty({ example: '09:00', description: 'Local time, HH:MM' })
  @Matches(TIME, { message: 'open must be HH:MM' })
  open!: string;

  @ApiProperty({ example: '18:00', description: 'Local time, HH:MM (24:00 for midnight), after open' })
  @Matches(TIME, { message: 'close must be HH:MM' })
  close!: string;
}

export class SlaPolicyDto {
  @ApiProperty({ type: [SlaTargetDto], maxItems: 4, description: 'At most one per priority; a priority left out runs no SLA clock' })
  @IsArray()
  @ArrayMaxSize(4)
  @ValidateNested({ each: true })
  @Type(() => SlaTargetDto)
  targets!: SlaTargetDto[];

  @ApiProperty({ type: [OpeningHoursDto], maxItems: 70, description: "The business week, in the company's time zone (PATCH /v1/company timeZone)" })
  @IsArray()
  @ArrayMaxSize(70)
  @ValidateNested({ each: true })
  @Type(() => OpeningHoursDto)
  hours!: OpeningHoursDto[];

  @ApiProperty({ type: [String], maxItems: 366, example: ['2026-12-25'], description: 'Local dates when business hours do not run' })
  @IsArray()
  @ArrayMaxSize(366)
  @IsISO8601({ strict: true }, { each: true })
  @Matches(/^\d{4}-\d{2}-\d{2}$/, { each: true, message: 'each holiday is a date, YYYY-MM-DD' })
  holidays!: string[];
}

export class SlaPolicyResponseDto extends SlaPolicyDto {
  @ApiProperty({ description: "The company's time zone, in which hours and holidays are read" })
  timeZone!: string;

  @ApiPropertyOptional({ type: Date, nullable: true, description: 'null while the company never set a policy' })
  updatedAt!: Date | null;
}

/** A ticket's SLA clocks: at most one runs at a time, while a customer waits for an answer. */
export class TicketSlaDto {
  @ApiProperty({ type: Date, nullable: true, description: 'When the first public reply is due, while none was made' })
  firstReplyDueAt!: Date | null;

  @ApiProperty({ type: Date, nullable: true, description: "When the next public reply is due, while a customer's message waits for one" })
  nextReplyDueAt!: Date | null;

  @ApiProperty({ description: 'A target of this ticket passed before its reply; each breach is also a timeline event' })
  breached!: boolean;
}
