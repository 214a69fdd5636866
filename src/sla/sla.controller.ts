import { Body, Controller, Get, Put } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { SlaPolicyDto, SlaPolicyResponseDto } from './sla.dto';
import { SlaService } from './sla.service';

@ApiTags('SLA')
@Controller('sla-policy')
export class SlaController {
  constructor(private readonly sla: SlaService) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: SlaPolicyResponseDto })
  get(@CurrentPrincipal() principal: Principal): Promise<SlaPolicyResponseDto> {
    return this.sla.get(principal.companyId);
  }

  @Put()
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: SlaPolicyResponseDto, description: 'Applies to reply clocks started from now on' })
  put(@CurrentPrincipal() principal: Principal, @Body() dto: SlaPolicyDto): Promise<SlaPolicyResponseDto> {
    return this.sla.put(principal.companyId, dto);
  }
}
