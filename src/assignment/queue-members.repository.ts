import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { Repository } from 'typeorm';
import { QueueMember } from './queue-member.entity';

@Injectable()
export class QueueMembersRepository {
  constructor(@InjectRepository(QueueMember) private readonly members: Repository<QueueMember>) {}

  async list(companyId: string, queueId: string): Promise<string[]> {
    const rows = await this.members.find({ where: { companyId, queueId }, order: { createdAt: 'ASC', agentId: 'ASC' } });
    return rows.map((row) => row.agentId);
  }

  async queueExists(companyId: string, queueId: string): Promise<boolean> {
    const rows: unknown[] = await this.members.query('SELECT 1 FROM queues WHERE company_id = $1 AND id = $2', [companyId, queueId]);
    return rows.length > 0;
  }

  /**
   * Replaces the queue's members, in one transaction under the queue's row lock. Answers whether the
   * queue is missing, and the agent ids that are not the company's active agents.
   */
  replace(companyId: string, queueId: string, agentIds: string[]): Promise<{ missingQueue: boolean; unknownAgents: string[] }> {
    return this.members.manager.transaction(async (manager) => {
      const queue: unknown[] = await manager.query('SELECT id FROM queues WHERE company_id = $1 AND id = $2 FOR UPDATE', [companyId, queueId]);
      if (queue.length === 0) return { missingQueue: true, unknownAgents: [] };
      const known: Array<{ id: string }> = await manager.query('SELECT id FROM agents WHERE company_id = $1 AND id = ANY($2::uuid[]) AND deactivated_at IS NULL', [companyId, agentIds]);
      const knownIds = new Set(known.map((row) => row.id));
      const unknownAgents = agentIds.filter((id) => !knownIds.has(id));
      if (unknownAgents.length > 0) return { missingQueue: false, unknownAgents };
      await manager.query('DELETE FROM queue_members WHERE company_id = $1 AND queue_id = $2 AND NOT (agent_id = ANY($3::uuid[]))', [companyId, queueId, agentIds]);
      if (agentIds.length > 0) {
        await manager.query(
          `INSERT INTO queue_members (company_id, queue_id, agent_id) SELECT $1, $2, unnest($3::uuid[]) ON CONFLICT (queue_id, agent_id) DO NOTHING`,
          [companyId, queueId, agentIds],
        );
      }
      return { missingQueue: false, unknownAgents: [] };
    });
  }
}
