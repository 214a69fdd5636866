import { Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { isForeignKeyViolation, isUniqueViolation } from '../database/pg-errors';
import { AssignmentService } from '../assignment/assignment.service';
import { QueueRepository } from './queue.repository';
import { type CreateQueueDto, mapQueue, type QueueDto, type UpdateQueueDto } from './queues.dto';

const nameTaken = () => AppException.conflict('A queue with this name already exists', ErrorCode.NameTaken);

@Injectable()
export class QueuesService {
  constructor(
    private readonly queues: QueueRepository,
    private readonly assignment: AssignmentService,
  ) {}

  async create(companyId: string, dto: CreateQueueDto): Promise<QueueDto> {
    try {
      return mapQueue(await this.queues.create(companyId, dto.name, undefined, dto.autoAssign ?? false));
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  }

  async list(companyId: string, page: PageQueryDto): Promise<Page<QueueDto>> {
    return mapPage(await this.queues.list(companyId, page), mapQueue);
  }

  async get(companyId: string, id: string): Promise<QueueDto> {
    const queue = await this.queues.findById(companyId, id);
    if (!queue) throw AppException.notFound('Queue');
    return mapQueue(queue);
  }

  async update(companyId: string, id: string, dto: UpdateQueueDto): Promise<QueueDto> {
    if (dto.name === undefined && dto.autoAssign === undefined) return this.get(companyId, id);
    try {
      const queue = await this.queues.update(companyId, id, {
        ...(dto.name === undefined ? {} : { name: dto.name }),
        ...(dto.autoAssign === undefined ? {} : { autoAssign: dto.autoAssign }),
      });
      if (!queue) throw AppException.notFound('Queue');
      // Turned on: the tickets already waiting in it are handed out now.
      if (dto.autoAssign) await this.assignment.assignAfter(companyId);
      return mapQueue(queue);
    } catch (error) {
      if (isUniqueViolation(error)) throw nameTaken();
      throw error;
    }
  }

  async delete(companyId: string, id: string): Promise<void> {
    try {
      if (!(await this.queues.delete(companyId, id))) throw AppException.notFound('Queue');
    } catch (error) {
      if (isForeignKeyViolation(error)) throw AppException.conflict('Channels or tickets still use this queue; move them first', ErrorCode.QueueInUse);
      throw error;
    }
  }
}
