import { Controller, Get, HttpCode, HttpStatus, Post, Query } from '@nestjs/common';
import { ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { Authenticated, CurrentPrincipal } from '../common/auth/auth.decorators';
import { type Principal } from '../common/auth/principal';
import { PageOf } from '../common/pagination/page-of';
import { type Page } from '../common/pagination/page.dto';
import { UuidParam } from '../common/validation/validation';
import { DeliveryDto, DeliveryQueryDto } from './deliveries.dto';
import { DeliveriesService } from './deliveries.service';

@ApiTags('Deliveries')
@Controller('deliveries')
export class DeliveriesController {
  constructor(private readonly deliveries: DeliveriesService) {}

  @Get()
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: PageOf(DeliveryDto), description: 'Newest first; e.g. ?state=failed' })
  list(@CurrentPrincipal() principal: Principal, @Query() query: DeliveryQueryDto): Promise<Page<DeliveryDto>> {
    return this.deliveries.list(principal.companyId, query);
  }

  @Get(':id')
  @Authenticated({ agentOnly: true })
  @ApiOkResponse({ type: DeliveryDto })
  get(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<DeliveryDto> {
    return this.deliveries.get(principal.companyId, id);
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.OK)
  @Authenticated({ admin: true })
  @ApiOkResponse({ type: DeliveryDto, description: '409 delivery_not_retryable unless the delivery failed' })
  retry(@CurrentPrincipal() principal: Principal, @UuidParam() id: string): Promise<DeliveryDto> {
    return this.deliveries.retry(principal.companyId, id);
  }
}
