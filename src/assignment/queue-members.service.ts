import { HttpStatus, Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { AssignmentService } from './assignment.service';
import { type QueueMembersDto } from './queue-members.dto';
import { QueueMembersRepository } from './queue-members.repository';

@Injectable()
export class QueueMembersService {
  constructor(
    private readonly members: QueueMembersRepository,
    private readonly assignment: AssignmentService,
  ) {}

  async get(companyId: string, queueId: string): Promise<QueueMembersDto> {
    const agentIds = await this.members.list(companyId, queueId);
    if (agentIds.length === 0 && !(await this.members.queueExists(companyId, queueId))) throw AppException.notFound('Queue');
    return { agentIds };
  }

  async replace(companyId: string, queueId: string, dto: QueueMembersDto): Promise<QueueMembersDto> {
    const { missingQueue, unknownAgents } = await this.members.replace(companyId, queueId, dto.agentIds);
    if (missingQueue) throw AppException.notFound('Queue');
    if (unknownAgents.length > 0) {
      throw new AppException(HttpStatus.UNPROCESSABLE_ENTITY, ErrorCode.InvalidAssignee, 'Members must be active agents of the company', { agentIds: unknownAgents });
    }
    await this.assignment.assignAfter(companyId);
    return this.get(companyId, queueId);
  }
}
