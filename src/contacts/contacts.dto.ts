import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { ArrayMaxSize, IsArray, IsOptional, IsString, IsUUID, Matches, MaxLength, ValidateIf } from 'class-validator';
import { PageQueryDto } from '../common/pagination/page.dto';
import { Optional, Text } from '../common/validation/decorators';
import { type Contact, ProfileState } from './contact.entity';

export class ContactQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ description: 'Part of the name, case-insensitive' })
  @IsOptional()
  @IsString()
  @MaxLength(100)
  q?: string;

  @ApiPropertyOptional({ format: 'uuid' })
  @IsOptional()
  @IsUUID()
  channelId?: string;
}

export class UpdateContactDto {
  @Text({ max: 200, optional: true })
  name?: string;

  @ApiPropertyOptional({ type: String, nullable: true, maxLength: 200, description: "The shop's customer id; null clears it" })
  @IsOptional()
  @ValidateIf((_, value) => value !== null)
  @IsString()
  @MaxLength(200)
  externalId?: string | null;

  @ApiPropertyOptional({ type: [String], description: 'Replaces the tags; lower-cased, 1 to 50 of a-z 0-9 _ - :' })
  @Optional()
  @IsArray()
  @ArrayMaxSize(50)
  @Transform(({ value }: { value: unknown }) => (Array.isArray(value) ? value.map((tag: unknown) => (typeof tag === 'string' ? tag.trim().toLowerCase() : tag)) : value))
  @Matches(/^[a-z0-9_:-]{1,50}$/, { each: true, message: 'each tag must be 1 to 50 of a-z 0-9 _ - :' })
  tags?: string[];
}

export class ContactDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  channelId!: string;

  @ApiProperty({ description: 'Page-scoped id of the customer on Messenger' })
  psid!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ type: String, nullable: true })
  profilePicUrl!: string | null;

  @ApiProperty({ enum: ProfileState, enumName: 'ProfileState' })
  profileState!: ProfileState;

  @ApiProperty({ type: Date, nullable: true, description: "Start of Meta's 24-hour reply window" })
  lastInteractionAt!: Date | null;

  @ApiProperty({ type: String, nullable: true })
  externalId!: string | null;

  @ApiProperty({ type: [String] })
  tags!: string[];

  @ApiProperty({ type: Object, nullable: true, description: 'The last referral (m.me link, ad) as Meta sent it' })
  lastReferral!: Record<string, unknown> | null;

  @ApiProperty()
  createdAt!: Date;
}

export const mapContact = (contact: Contact): ContactDto => ({
  id: contact.id,
  channelId: contact.channelId,
  psid: contact.psid,
  name: contact.name,
  profilePicUrl: contact.profilePicUrl,
  profileState: contact.profileState,
  lastInteractionAt: contact.lastInteractionAt,
  externalId: contact.externalId,
  tags: contact.tags,
  lastReferral: contact.lastReferral,
  createdAt: contact.createdAt,
});
