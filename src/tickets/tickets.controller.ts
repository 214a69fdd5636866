import { Body, Controller, Get, HttpCode, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { ReplyDto } from './reply.dto';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { TicketChangesService } from './ticket-changes.service';
import { BulkResultsDto, BulkUpdateDto, MergeDto, MessageDto, NoteDto, TicketCountsDto, TicketDto, TicketEventDto, TicketQueryDto, type TimelineItemDto, UpdateTicketDto } from './tickets.dto';
import { TicketsService } from './tickets.service';

@ApiTags('Tickets')
@Controller('tickets')
export class TicketsController {
  constructor(
    private readonly tickets: TicketsService,
    private readonly changes: TicketChangesService,
  ) {}

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf(TicketDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() query: TicketQueryDto): Promise<Page<TicketDto>> {
    return this.tickets.list(principal, query);
  }

  @Post('bulk')
  @HttpCode(200)
  @Authenticated({ scope: Scope.TicketsWrite })
  @ApiOkResponse({ type: BulkResultsDto, description: 'One result per id, each ticket changed atomically on its own; 200 even when some were refused' })
  bulkUpdate(@CurrentPrincipal() principal: Principal, @Body() dto: BulkUpdateDto): Promise<BulkResultsDto> {
    return this.changes.bulkUpdate(principal, dto);
  }

  @Get('counts')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: TicketCountsDto })
  counts(@CurrentPrincipal() principal: Principal): Promise<TicketCountsDto> {
    return this.tickets.counts(principal);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: TicketDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<TicketDto> {
    return this.tickets.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ scope: Scope.TicketsWrite })
  @ApiOkResponse({ type: TicketDto, description: '400 invalid_transition, 409 ticket_closed, 422 invalid_assignee, invalid_queue or too_many_tags; every change is a timeline event' })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateTicketDto): Promise<TicketDto> {
    return this.changes.update(principal, id, dto);
  }

  @Post(':id/claim')
  @HttpCode(200)
  @Authenticated({ scope: Scope.TicketsWrite })
  @ApiOkResponse({ type: TicketDto, description: "The ticket, now the calling agent's; 409 already_assigned when another agent has it, 409 ticket_closed" })
  claim(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<TicketDto> {
    return this.changes.claim(principal, id);
  }

  @Post(':id/merge')
  @HttpCode(200)
  @Authenticated({ scope: Scope.TicketsWrite })
  @ApiOkResponse({ type: TicketDto, description: 'The ticket merged into, with both timelines; 422 merge_not_allowed for tickets of two contacts, 400 for a ticket into itself, 409 ticket_closed' })
  merge(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: MergeDto): Promise<TicketDto> {
    return this.changes.merge(principal, id, dto);
  }

  @Get(':id/messages')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf([MessageDto, TicketEventDto], 'TimelinePage'), description: 'The timeline: messages (type message), private notes (type note) and changes (type event), oldest first' })
  timeline(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Query() page: PageQueryDto): Promise<Page<TimelineItemDto>> {
    return this.tickets.timeline(principal.companyId, id, page);
  }

  @Post(':id/notes')
  @Authenticated({ scope: Scope.TicketsWrite })
  @Idempotent()
  @ApiCreatedResponse({ type: TicketEventDto, description: 'A private note: agents only, never sent. 409 ticket_closed' })
  addNote(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: NoteDto): Promise<TicketEventDto> {
    return this.changes.addNote(principal, id, dto);
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
