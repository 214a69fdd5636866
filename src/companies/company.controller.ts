import { Body, Controller, Get, Patch } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal } from '../common/auth/principal';
import { CompanyDto, UpdateCompanyDto } from './company.dto';
import { CompanyService } from './company.service';

@ApiTags('Company')
@Controller('company')
export class CompanyController {
  constructor(private readonly company: CompanyService) {}

  @Get()
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: CompanyDto })
  get(@CurrentPrincipal() principal: Principal): Promise<CompanyDto> {
    return this.company.get(principal.companyId);
  }

  @Patch()
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: CompanyDto })
  update(@CurrentPrincipal() principal: Principal, @Body() dto: UpdateCompanyDto): Promise<CompanyDto> {
    return this.company.update(principal.companyId, dto);
  }
}
