import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { type AgentRole } from '../common/auth/principal';
import { Agent } from './agent.entity';
import { Company } from './company.entity';

export interface NewAdmin {
  email: string;
  name: string;
  role: AgentRole;
  passwordHash: string;
}

@Injectable()
export class CompanyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(Company) private readonly companies: Repository<Company>,
  ) {}

  /** A company never exists without its first admin: both rows or neither. */
  createWithAdmin(name: string, admin: NewAdmin): Promise<{ company: Company; agent: Agent }> {
    return this.dataSource.transaction(async (manager) => {
      const company = await manager.save(manager.create(Company, { name }));
      const agent = await manager.save(manager.create(Agent, { ...admin, companyId: company.id, deactivatedAt: null }));
      return { company, agent };
    });
  }

  findById(companyId: string): Promise<Company | null> {
    return this.companies.findOneBy({ id: companyId });
  }

  async update(companyId: string, patch: Partial<Pick<Company, 'name' | 'timeZone'>>): Promise<Company | null> {
    if (Object.keys(patch).length > 0) await this.companies.update({ id: companyId }, patch);
    return this.findById(companyId);
  }
}
