import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { CannedResponseDto, CreateCannedResponseDto, UpdateCannedResponseDto } from './canned-responses.dto';
import { CannedResponsesService } from './canned-responses.service';

/** Shared by the company's agents: anyone who answers tickets may write and use them. */
@ApiTags('Canned responses')
@Controller('canned-responses')
export class CannedResponsesController {
  constructor(private readonly responses: CannedResponsesService) {}

  @Post()
  @Authenticated({ scope: Scope.TicketsWrite })
  @Idempotent()
  @ApiCreatedResponse({ type: CannedResponseDto, description: '400 with details.unknown for a placeholder Guichet does not know' })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateCannedResponseDto): Promise<CannedResponseDto> {
    return this.responses.create(principal.companyId, dto);
  }

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf(CannedResponseDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto): Promise<Page<CannedResponseDto>> {
    return this.responses.list(principal.companyId, page);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: CannedResponseDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<CannedResponseDto> {
    return this.responses.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ scope: Scope.TicketsWrite })
  @ApiOkResponse({ type: CannedResponseDto })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateCannedResponseDto): Promise<CannedResponseDto> {
    return this.responses.update(principal.companyId, id, dto);
  }

  @Delete(':id')
  @Authenticated({ scope: Scope.TicketsWrite })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse()
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.responses.delete(principal.companyId, id);
  }
}
