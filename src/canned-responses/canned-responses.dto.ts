import { ApiProperty } from '@nestjs/swagger';
import { Text } from '../common/validation/decorators';
import { type CannedResponse } from './canned-response.entity';
import { PLACEHOLDERS } from './placeholders';

const TEXT_DESCRIPTION = `Placeholders, filled in when sent: ${PLACEHOLDERS.map((name) => `{{${name}}}`).join(', ')}; any other is refused`;

export class CreateCannedResponseDto {
  @Text({ max: 100 })
  title!: string;

  @Text({ max: 2_000, description: TEXT_DESCRIPTION })
  text!: string;
}

export class UpdateCannedResponseDto {
  @Text({ max: 100, optional: true })
  title?: string;

  @Text({ max: 2_000, optional: true, description: TEXT_DESCRIPTION })
  text?: string;
}

export class CannedResponseDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  title!: string;

  @ApiProperty()
  text!: string;

  @ApiProperty()
  createdAt!: Date;

  @ApiProperty()
  updatedAt!: Date;
}

export const mapCannedResponse = (r: CannedResponse): CannedResponseDto => ({ id: r.id, title: r.title, text: r.text, createdAt: r.createdAt, updatedAt: r.updatedAt });
