import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Patch, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNoContentResponse, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal, Scope } from '../common/auth/principal';
import { Idempotent } from '../common/idempotency/idempotent.decorator';
import { PageOf } from '../common/pagination/page-of';
import { type Page, PageQueryDto } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { CreateQueueDto, QueueDto, UpdateQueueDto } from './queues.dto';
import { QueuesService } from './queues.service';

@ApiTags('Queues')
@Controller('queues')
export class QueuesController {
  constructor(private readonly queues: QueuesService) {}

  @Post()
  @Authenticated({ admin: true })
  @Idempotent()
  @ApiCreatedResponse({ type: QueueDto })
  create(@CurrentPrincipal() principal: Principal, @Body() dto: CreateQueueDto): Promise<QueueDto> {
    return this.queues.create(principal.companyId, dto);
  }

  @Get()
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: PageOf(QueueDto) })
  list(@CurrentPrincipal() principal: Principal, @Query() page: PageQueryDto): Promise<Page<QueueDto>> {
    return this.queues.list(principal.companyId, page);
  }

  @Get(':id')
  @Authenticated({ scope: Scope.TicketsRead })
  @ApiOkResponse({ type: QueueDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<QueueDto> {
    return this.queues.get(principal.companyId, id);
  }

  @Patch(':id')
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: QueueDto })
  update(@CurrentPrincipal() principal: Principal, @UuidParam() id: string, @Body() dto: UpdateQueueDto): Promise<QueueDto> {
    return this.queues.update(principal.companyId, id, dto);
  }

  @Delete(':id')
  @Authenticated({ admin: true })
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiNoContentResponse({ description: 'Deleted; 409 queue_in_use while channels or tickets still use it' })
  delete(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<void> {
    return this.queues.delete(principal.companyId, id);
  }
}
