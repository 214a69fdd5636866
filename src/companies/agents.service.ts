import { Injectable } from '@nestjs/common';
import { hashPassword } from '../common/auth/password';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { AssignmentService } from '../assignment/assignment.service';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { isUniqueViolation } from '../database/pg-errors';
import { type AgentPatch, AgentRepository } from './agent.repository';
import { type AgentDto, type CreateAgentDto, mapAgent, type UpdateAgentDto, type UpdateMeDto } from './agents.dto';

@Injectable()
export class AgentsService {
  constructor(
    private readonly agents: AgentRepository,
    private readonly assignment: AssignmentService,
  ) {}

  async create(companyId: string, dto: CreateAgentDto): Promise<AgentDto> {
    const passwordHash = await hashPassword(dto.password);
    try {
      return mapAgent(await this.agents.create(companyId, { email: dto.email, name: dto.name, role: dto.role, passwordHash }));
    } catch (error) {
      if (isUniqueViolation(error)) throw AppException.conflict('An agent with this email already exists', ErrorCode.EmailTaken);
      throw error;
    }
  }

  async list(companyId: string, page: PageQueryDto): Promise<Page<AgentDto>> {
    return mapPage(await this.agents.list(companyId, page), mapAgent);
  }

  async get(companyId: string, id: string): Promise<AgentDto> {
    const agent = await this.agents.findById(companyId, id);
    if (!agent) throw AppException.notFound('Agent');
    return mapAgent(agent);
  }

  async update(companyId: string, id: string, dto: UpdateAgentDto): Promise<AgentDto> {
    const patch: AgentPatch = {};
    if (dto.name !== undefined) patch.name = dto.name;
    if (dto.role !== undefined) patch.role = dto.role;
    if (dto.active !== undefined) patch.deactivatedAt = dto.active ? null : new Date();
    if (dto.capacity !== undefined) patch.capacity = dto.capacity;
    if (Object.keys(patch).length === 0) return this.get(companyId, id);
    const { agent, lastAdmin } = await this.agents.update(companyId, id, patch);
    if (lastAdmin) throw AppException.conflict('A company needs at least one active admin', ErrorCode.LastAdmin);
    if (!agent) throw AppException.notFound('Agent');
    if (dto.capacity !== undefined || dto.active) await this.assignment.assignAfter(companyId);
    return mapAgent(agent);
  }

  /** Availability: an agent coming online is handed the tickets waiting for them at once. */
  async updateMe(companyId: string, agentId: string, dto: UpdateMeDto): Promise<AgentDto> {
    const agent = await this.agents.setAvailability(companyId, agentId, dto.availability);
    if (!agent) throw AppException.notFound('Agent');
    await this.assignment.assignAfter(companyId);
    return mapAgent(agent);
  }
}
