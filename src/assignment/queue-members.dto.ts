import { ApiProperty } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayUnique, IsArray, IsUUID } from 'class-validator';

export const MAX_MEMBERS = 500;

export class QueueMembersDto {
  @ApiProperty({ type: [String], format: 'uuid', maxItems: MAX_MEMBERS, description: 'The agents who work the queue; replaces the whole list' })
  @IsArray()
  @ArrayMaxSize(MAX_MEMBERS)
  @ArrayUnique()
  @IsUUID('all', { each: true })
  agentIds!: string[];
}
