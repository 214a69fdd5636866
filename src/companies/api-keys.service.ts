import { createHash, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { type AgentPrincipal } from '../common/auth/principal';
import { AppException } from '../common/errors/app.exception';
import { mapPage, type Page, type PageQueryDto } from '../common/pagination/page.dto';
import { ApiKeyRepository } from './api-key.repository';
import { type ApiKeyDto, type CreateApiKeyDto, type CreatedApiKeyDto, mapApiKey } from './api-keys.dto';

/** Recognisable in logs, config files and secret scanners. */
export const API_KEY_PREFIX = 'gk_';
const SHOWN_PREFIX_LENGTH = 10;

@Injectable()
export class ApiKeysService {
  constructor(private readonly keys: ApiKeyRepository) {}

  async create(admin: AgentPrincipal, dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    const secret = `${API_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
    const key = await this.keys.create(admin.companyId, {
      name: dto.name,
      scopes: dto.scopes,
      prefix: secret.slice(0, SHOWN_PREFIX_LENGTH),
      keyHash: createHash('sha256').update(secret).digest('hex'),
      createdByAgentId: admin.agentId,
    });
    return { ...mapApiKey(key), key: secret };
  }

  async list(companyId: string, page: PageQueryDto): Promise<Page<ApiKeyDto>> {
    return mapPage(await this.keys.list(companyId, page), mapApiKey);
  }

  async revoke(companyId: string, id: string): Promise<void> {
    if (!(await this.keys.revoke(companyId, id))) throw AppException.notFound('API key');
  }
}
