import { Body, Controller, Get, Patch, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { PageOf } from '../common/pagination/page-of';
import { type Page } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { ContactDto, ContactQueryDto, UpdateContactDto } from './contacts.dto';
import { ContactsService } from './contacts.service';

@ApiTags('Contacts')
@Controller('contacts')
export class ContactsController {
  constructor(private readonly contacts: ContactsService) {}

  @Get()
  @Authenticated({ scope: Scope.ContactsRead })
  @ApiOkResponse({ type: PageOf(ContactDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() query: ContactQueryDto): Promise<Page<ContactDto>> {
    return this.contacts.list(principal.companyId, query);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.ContactsRead })
  @ApiOkResponse({ type: ContactDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ContactDto> {
    return this.contacts.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ scope: Scope.ContactsWrite })
  @ApiOkResponse({ type: ContactDto })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateContactDto): Promise<ContactDto> {
    return this.contacts.update(principal.companyId, id, dto);
  }
}
