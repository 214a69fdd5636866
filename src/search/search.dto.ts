import { ApiProperty } from '@nestjs/swagger';
import { Matches } from 'class-validator';
import { PageQueryDto } from '../common/pagination/page.dto';
import { Text } from '../common/validation/decorators';
import { MessageDirection } from '../tickets/message.entity';

export class SearchQueryDto extends PageQueryDto {
  @Text({ max: 200, description: 'Words to find in message texts (each word as a prefix, all of them) and contact names' })
  @Matches(/[\p{L}\p{N}]/u, { message: 'q needs at least one letter or digit' })
  q!: string;
}

export class MessageHitDto {
  @ApiProperty({ enum: ['message'] })
  type!: 'message';

  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty({ format: 'uuid' })
  ticketId!: string;

  @ApiProperty({ format: 'uuid' })
  contactId!: string;

  @ApiProperty({ enum: MessageDirection, enumName: 'MessageDirection' })
  direction!: string;

  @ApiProperty()
  text!: string;

  @ApiProperty()
  sentAt!: Date;
}

export class ContactHitDto {
  @ApiProperty({ enum: ['contact'] })
  type!: 'contact';

  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ format: 'uuid' })
  channelId!: string;

  @ApiProperty()
  createdAt!: Date;
}
