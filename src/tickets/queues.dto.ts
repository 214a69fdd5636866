import { ApiProperty } from '@nestjs/swagger';
import { Text } from '../common/validation/decorators';
import { type Queue } from './queue.entity';

export class CreateQueueDto {
  @Text({ max: 100 })
  name!: string;
}

export class UpdateQueueDto {
  @Text({ max: 100, optional: true })
  name?: string;
}

export class QueueDto {
  @ApiProperty({ format: 'uuid' })
  id!: string;

  @ApiProperty()
  name!: string;

  @ApiProperty()
  createdAt!: Date;
}

export const mapQueue = (queue: Queue): QueueDto => ({ id: queue.id, name: queue.name, createdAt: queue.createdAt });
