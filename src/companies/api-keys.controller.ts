import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type AgentPrincipal, type Principal } from '../common/auth/principal';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './api-keys.dto';
import { ApiKeysService } from './api-keys.service';

@ApiTags('API keys')
@Controller('api-keys')
@Authenticated({ admin: true })
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  /** Not @Idempotent: a replay would need the secret stored in plain text, which is what hashing avoids. */
  @Post()
  @ApiCreatedResponse({ type: CreatedApiKeyDto, description: 'The key is in the response this once' })
  create(@CurrentPrincipal() principal: AgentPrincipal, @Body() dto: CreateApiKeyDto): Promise<CreatedApiKeyDto> {
    return this.keys.create(principal, dto);
  }

  @Get()
  @ApiOkResponse({ type: PageOf(ApiKeyDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto): Promise<Page<ApiKeyDto>> {
    return this.keys.list(principal.companyId, page);
  }

  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Revoked; the key stops working at once' })
  revoke(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.keys.revoke(principal.companyId, id);
  }
}
