import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { AgentRole } from '../common/auth/principal';
import { paginateByCreation } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { Agent, type AgentAvailability } from './agent.entity';

export type AgentPatch = Partial<Pick<Agent, 'name' | 'role' | 'deactivatedAt' | 'capacity'>>;

@Injectable()
export class AgentRepository {
  constructor(@InjectRepository(Agent) private readonly agents: Repository<Agent>) {}

  /**
   * The one lookup without a company: login takes only an email, and this is how the
   * company is found. Emails are unique across companies for that reason.
   */
  findForLogin(email: string): Promise<(Agent & { passwordHash: string }) | null> {
    return this.agents
      .createQueryBuilder('agent')
      .addSelect('agent.passwordHash')
      .where('agent.email = :email', { email })
      .getOne();
  }

  findById(companyId: string, id: string): Promise<Agent | null> {
    return this.agents.findOneBy({ companyId, id });
  }

  findActive(companyId: string, id: string): Promise<Agent | null> {
    return this.agents.findOneBy({ companyId, id, deactivatedAt: IsNull() });
  }

  list(companyId: string, page: PageQueryDto): Promise<Page<Agent>> {
    return paginateByCreation(this.agents.createQueryBuilder('agent').where('agent.companyId = :companyId', { companyId }), page);
  }

  create(companyId: string, agent: Pick<Agent, 'email' | 'name' | 'role' | 'passwordHash'>): Promise<Agent> {
    return this.agents.save(this.agents.create({ ...agent, companyId, deactivatedAt: null }));
  }

  /** Availability alone needs no company lock: it cannot take away the last admin. */
  async setAvailability(companyId: string, id: string, availability: AgentAvailability): Promise<Agent | null> {
    await this.agents.update({ companyId, id }, { availability });
    return this.findById(companyId, id);
  }

  /**
   * Applies the patch unless it would leave the company without an active admin. The company
   * row is locked so two admins demoting each other at once cannot both succeed.
   */
  update(companyId: string, id: string, patch: AgentPatch): Promise<{ agent: Agent | null; lastAdmin: boolean }> {
    return this.agents.manager.transaction(async (manager) => {
      await manager.query('SELECT 1 FROM companies WHERE id = $1 FOR UPDATE', [companyId]);
      const result = await manager.update(Agent, { companyId, id }, patch);
      if ((result.affected ?? 0) === 0) return { agent: null, lastAdmin: false };
      const admins = await manager.countBy(Agent, { companyId, role: AgentRole.Admin, deactivatedAt: IsNull() });
      if (admins === 0) {
        // Throwing rolls the update back; the marker tells the service why.
        throw new LastAdminError();
      }
      return { agent: await manager.findOneBy(Agent, { companyId, id }), lastAdmin: false };
    }).catch((error: unknown) => {
      if (error instanceof LastAdminError) return { agent: null, lastAdmin: true };
      throw error;
    });
  }
}

class LastAdminError extends Error {}
