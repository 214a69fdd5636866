import { Body, Controller, Get, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type AgentPrincipal, type Principal, Scope } from '../common/auth/principal';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { AgentDto, CreateAgentDto, UpdateAgentDto, UpdateMeDto } from './agents.dto';
import { AgentsService } from './agents.service';

@ApiTags('Agents')
@Controller('agents')
export class AgentsController {
  constructor(private readonly agents: AgentsService) {}

  @Post()
  @Authenticated({ admin: true })
  @Idempotent()
  @ApiCreatedResponse({ type: AgentDto })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateAgentDto): Promise<AgentDto> {
    return this.agents.create(principal.companyId, dto);
  }

  @Get()
  @Authenticated({ scope: Scope.AgentsRead })
  @ApiOkResponse({ type: PageOf(AgentDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto): Promise<Page<AgentDto>> {
    return this.agents.list(principal.companyId, page);
  }

  @Get('me')
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: AgentDto })
  me(@CurrentPrincipal() principal: AgentPrincipal): Promise<AgentDto> {
    return this.agents.get(principal.companyId, principal.agentId);
  }

  @Patch('me')
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: AgentDto })
  updateMe(@CurrentPrincipal() principal: AgentPrincipal, @Body() dto: UpdateMeDto): Promise<AgentDto> {
    return this.agents.updateMe(principal.companyId, principal.agentId, dto);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.AgentsRead })
  @ApiOkResponse({ type: AgentDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<AgentDto> {
    return this.agents.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: AgentDto })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateAgentDto): Promise<AgentDto> {
    return this.agents.update(principal.companyId, id, dto);
  }
}
