import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { IsNull, Repository } from 'typeorm';
import { paginateByCreation } from '../common/pagination/keyset';
import { type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { ApiKey } from './api-key.entity';

/** last_used_at is written at most this often per key, so busy integrations do not write on every call. */
const LAST_USED_RESOLUTION_SECONDS = 60;

@Injectable()
export class ApiKeyRepository {
  constructor(@InjectRepository(ApiKey) private readonly keys: Repository<ApiKey>) {}

  /** Authentication's lookup: the hash identifies the key, and the key its company. */
  findActiveByHash(keyHash: string): Promise<ApiKey | null> {
    return this.keys.findOneBy({ keyHash, revokedAt: IsNull() });
  }

  create(companyId: string, key: Pick<ApiKey, 'name' | 'prefix' | 'keyHash' | 'scopes' | 'createdByAgentId'>): Promise<ApiKey> {
    return this.keys.save(this.keys.create({ ...key, companyId, lastUsedAt: null, revokedAt: null }));
  }

  list(companyId: string, page: PageQueryDto): Promise<Page<ApiKey>> {
    return paginateByCreation(
      this.keys.createQueryBuilder('key').where('key.companyId = :companyId', { companyId }).andWhere('key.revokedAt IS NULL'),
      page,
    );
  }

  /** True when an active key was revoked by this call. */
  async revoke(companyId: string, id: string): Promise<boolean> {
    const result = await this.keys.update({ companyId, id, revokedAt: IsNull() }, { revokedAt: () => 'now()' });
    return (result.affected ?? 0) > 0;
  }

  async touchLastUsed(companyId: string, id: string): Promise<void> {
    await this.keys
      .createQueryBuilder()
      .update()
      .set({ lastUsedAt: () => 'now()' })
      .where('company_id = :companyId AND id = :id', { companyId, id })
      .andWhere(`(last_used_at IS NULL OR last_used_at < now() - make_interval(secs => ${LAST_USED_RESOLUTION_SECONDS}))`)
      .execute();
  }
}
