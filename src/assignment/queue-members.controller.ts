import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { UuidParam } from '../common/validation/validation';
import { QueueMembersDto } from './queue-members.dto';
import { QueueMembersService } from './queue-members.service';

@ApiTags('Queues')
@Controller('queues/:id/members')
export class QueueMembersController {
  constructor(private readonly members: QueueMembersService) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: QueueMembersDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<QueueMembersDto> {
    return this.members.get(principal.companyId, id);
  }

  @Put()
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: QueueMembersDto, description: 'The members now; 422 invalid_assignee names agents that are not active agents of the company' })
  replace(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: QueueMembersDto): Promise<QueueMembersDto> {
    return this.members.replace(principal.companyId, id, dto);
  }
}
