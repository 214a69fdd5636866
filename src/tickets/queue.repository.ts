import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { type EntityManager, Repository } from 'typeorm';
import { paginateByCreation } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { Queue } from './queue.entity';

@Injectable()
export class QueueRepository {
  constructor(@InjectRepository(Queue) private readonly queues: Repository<Queue>) {}

  findById(companyId: string, id: string, manager: EntityManager = this.queues.manager): Promise<Queue | null> {
    return manager.findOneBy(Queue, { companyId, id });
  }

  list(companyId: string, page: PageQueryDto): Promise<Page<Queue>> {
    return paginateByCreation(this.queues.createQueryBuilder('queue').where('queue.companyId = :companyId', { companyId }), page);
  }

  create(companyId: string, name: string, manager: EntityManager = this.queues.manager, autoAssign = false): Promise<Queue> {
    return manager.save(manager.create(Queue, { companyId, name, autoAssign }));
  }

  /** Lower-cased names starting with `prefix`, to pick a free "Name (2)". */
  async namesLike(companyId: string, prefix: string): Promise<string[]> {
    const rows: Array<{ name: string }> = await this.queues.query(`SELECT lower(name) AS name FROM queues WHERE company_id = $1 AND lower(name) LIKE lower($2) || '%'`, [
      companyId,
      prefix.replace(/[\\%_]/g, (c) => `\\${c}`),
    ]);
    return rows.map((row) => row.name);
  }

  async update(companyId: string, id: string, changes: Partial<Pick<Queue, 'name' | 'autoAssign'>>): Promise<Queue | null> {
    await this.queues.update({ companyId, id }, changes);
    return this.findById(companyId, id);
  }

  /** Refused by the foreign keys while a channel or a ticket still points at the queue. */
  async delete(companyId: string, id: string): Promise<boolean> {
    const result = await this.queues.delete({ companyId, id });
    return (result.affected ?? 0) > 0;
  }
}
