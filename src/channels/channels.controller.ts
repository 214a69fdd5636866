import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal } from '../common/auth/principal';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { ChannelDto, ConnectMessengerDto, UpdateChannelDto } from './channels.dto';
import { ChannelsService } from './channels.service';

@ApiTags('Channels')
@Controller('channels')
export class ChannelsController {
  constructor(private readonly channels: ChannelsService) {}

  @Post('messenger')
  @Authenticated({ admin: true })
  @Idempotent()
  @ApiCreatedResponse({ type: ChannelDto, description: '409 page_taken when a company already holds the Page; 422 graph_error with Meta code and message' })
  connect(@CurrentPrincipal() principal: Principal, @Body() dto: ConnectMessengerDto): Promise<ChannelDto> {
    return this.channels.connectMessenger(principal.companyId, dto);
  }

  @Get()
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: PageOf(ChannelDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto): Promise<Page<ChannelDto>> {
    return this.channels.list(principal.companyId, page);
  }

  @Get(':id')
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: ChannelDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ChannelDto> {
    return this.channels.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: ChannelDto })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateChannelDto): Promise<ChannelDto> {
    return this.channels.update(principal.companyId, id, dto);
  }

  @Post(':id/check')
  @Authenticated({ admin: true })
  @HttpCode(HttpStatus.OK)
  @ApiOkResponse({ type: ChannelDto, description: 'Checks the stored token with Facebook and records the result as the status' })
  check(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<ChannelDto> {
    return this.channels.check(principal.companyId, id);
  }

  @Delete(':id')
  @Authenticated({ admin: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Disconnected: events from the Page are ignored and the token is erased' })
  disconnect(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.channels.disconnect(principal.companyId, id);
  }
}
