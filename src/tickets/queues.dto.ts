import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsBoolean } from 'class-validator';
import { Optional, Text } from '../common/validation/decorators';
import { type Queue } from './queue.entity';

const AUTO_ASSIGN = 'New and reopened tickets without an assignee go to the online members of the queue, round-robin, within their capacity';

export class CreateQueueDto {
  @Text({ max: 100 })
  name!: string;

  @ApiPropertyOptional({ default: false, description: AUTO_ASSIGN })
  @Optional()
  @IsBoolean()
  autoAssign?: boolean;
}

export class UpdateQueueDto {
  @Text({ max: 100, optional: true })
  name?: string;

  @ApiPropertyOptional({ description: AUTO_ASSIGN })
  @Optional()
  @IsBoolean()
  autoAssign?: boolean;
}

export class QueueDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty({ description: AUTO_ASSIGN })
  autoAssign!: boolean;

  @ApiProperty()
  createdAt!: Date;
}

export const mapQueue = (queue: Queue): QueueDto => ({ id: queue.id, name: queue.name, autoAssign: queue.autoAssign, createdAt: queue.createdAt });
