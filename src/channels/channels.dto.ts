import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsBoolean, IsString, IsUUID, Matches, MaxLength, MinLength, ValidateNested } from 'class-validator';
import { Optional, Text } from '../common/validation/decorators';
import { type Channel, ChannelStatus } from './channel.entity';

const PAGE_ID = /^\d{1,32}$/;

class TokenField {
  @ApiProperty({ description: 'A Page access token with pages_messaging. Stored encrypted, never returned.', writeOnly: true })
  @IsString()
  @MinLength(16)
  @MaxLength(1024)
  @Matches(/^[\x21-\x7e]+$/, { message: 'pageAccessToken must be printable ASCII' })
  pageAccessToken!: string;
}

export class ConnectMessengerDto extends TokenField {
  @ApiProperty({ example: '104523456789012', description: "The Facebook Page's numeric id" })
  @IsString()
  @Matches(PAGE_ID, { message: 'pageId must be a numeric Facebook Page id' })
  pageId!: string;

  @Text({ max: 200, optional: true, description: 'Defaults to the Page name from Facebook' })
  name?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'Where new tickets land; defaults to a new queue named after the Page' })
  @Optional()
  @IsUUID()
  queueId?: string;
}

export class ChannelFeaturesDto {
  @ApiProperty({ description: 'Meta approved Human Agent for this Page: human replies up to 7 days after the customer last wrote' })
  humanAgent!: boolean;

  @ApiProperty({ description: 'The Page may send paid Marketing Messages to contacts with an opt-in token' })
  marketingMessages!: boolean;

  @ApiProperty({ type: [String], description: 'Utility templates Meta approved for this Page' })
  utilityTemplates!: string[];
}

export class UpdateChannelFeaturesDto {
  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  humanAgent?: boolean;

  @ApiPropertyOptional()
  @Optional()
  @IsBoolean()
  marketingMessages?: boolean;

  @ApiPropertyOptional({ type: [String] })
  @Optional()
  @IsArray()
  @ArrayMaxSize(100)
  @Matches(/^[a-z0-9_]{1,512}$/, { each: true, message: 'each template name must be 1 to 512 of a-z 0-9 _' })
  utilityTemplates?: string[];
}

export class UpdateChannelDto {
  @Text({ max: 200, optional: true })
  name?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @Optional()
  @IsUUID()
  defaultQueueId?: string;

  @ApiPropertyOptional({ type: UpdateChannelFeaturesDto, description: 'What Meta enabled for this Page; the sending policy relies on it' })
  @Optional()
  @ValidateNested()
  @Type(() => UpdateChannelFeaturesDto)
  features?: UpdateChannelFeaturesDto;

  @ApiPropertyOptional({ description: 'A replacement Page access token; checked against Facebook, and clears needs_reauth', writeOnly: true })
  @Optional()
  @IsString()
  @MinLength(16)
  @MaxLength(1024)
  @Matches(/^[\x21-\x7e]+$/, { message: 'pageAccessToken must be printable ASCII' })
  pageAccessToken?: string;
}

export class ChannelDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ enum: ['messenger'] })
  kind!: 'messenger';

  @ApiProperty()
  pageId!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ format: 'uuid' })
  defaultQueueId!: string;

  @ApiProperty({ enum: ChannelStatus, enumName: 'ChannelStatus' })
  status!: ChannelStatus;

  @ApiProperty({ type: String, nullable: true })
  statusReason!: string | null;

  @ApiProperty({ example: 'EAAG…1234', description: 'The token itself is never returned' })
  tokenMask!: string;

  @ApiProperty({ type: ChannelFeaturesDto })
  features!: ChannelFeaturesDto;

  @ApiProperty()
  createdAt!: Date;
}

export const mapChannel = (channel: Channel): ChannelDto => ({
  id: channel.id,
  kind: 'messenger',
  pageId: channel.pageId,
  name: channel.name,
  defaultQueueId: channel.defaultQueueId,
  status: channel.status,
  statusReason: channel.statusReason,
  tokenMask: channel.tokenMask,
  features: { humanAgent: channel.humanAgentEnabled, marketingMessages: channel.marketingMessagesEnabled, utilityTemplates: channel.utilityTemplates },
  createdAt: channel.createdAt,
});
