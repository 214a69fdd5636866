import { Body, Controller, Get, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ReplyDto } from './reply.dto';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { MessageDto, TicketDto, TicketQueryDto } from './tickets.dto';
import { TicketsService } from './tickets.service';

@ApiTags('Tickets')
@Controller('tickets')
export class TicketsController {
  constructor(private readonly tickets: TicketsService) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf(TicketDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() query: TicketQueryDto): Promise<Page<TicketDto>> {
    return this.tickets.list(principal.companyId, query);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: TicketDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<TicketDto> {
    return this.tickets.get(principal.companyId, id);
  }

  @Get(':id/messages')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf(MessageDto) })
  timeline(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Query() page: PageQueryDto): Promise<Page<MessageDto>> {
    return this.tickets.timeline(principal.companyId, id, page);
  }

  @Post(':id/messages')
  @Authenticated({ scope: Scope.TicketsWrite })
  @Idempotent()
  @ApiCreatedResponse({
    type: MessageDto,
    description:
      'Queued for delivery (delivery.state queued). 422 with the policy refusal as code (outside_messaging_window, never_contacted, channel_unavailable) and details.windowClosedAt; nothing is queued then.',
  })
  reply(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: ReplyDto): Promise<MessageDto> {
    return this.tickets.reply(principal, id, dto);
  }
}
