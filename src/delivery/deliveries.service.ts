import { HttpStatus, Injectable } from '@nestjs/common';
import { AppException } from '../common/errors/app.exception';
import { ErrorCode } from '../common/errors/error-codes';
import { mapPage, type Page } from '../common/pagination/page.dto';
import { DeliveryRepository } from './delivery.repository';
import { type DeliveryDto, type DeliveryQueryDto, mapDelivery } from './deliveries.dto';
import { OutboxService } from './outbox.service';

/** What operators do with the outbox: look at failures and send again once the cause is fixed. */
@Injectable()
export class DeliveriesService {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly outbox: OutboxService,
  ) {}

  async list(companyId: string, query: DeliveryQueryDto): Promise<Page<DeliveryDto>> {
    return mapPage(await this.deliveries.list(companyId, query), mapDelivery);
  }

  async get(companyId: string, id: string): Promise<DeliveryDto> {
    const delivery = await this.deliveries.findById(companyId, id);
    if (!delivery) throw AppException.notFound('Delivery');
    return mapDelivery(delivery);
  }

  /**
   * Failed deliveries only: Meta refused them, so sending again cannot duplicate. An `unknown`
   * one may have reached the customer and is not offered. The policy is applied again at send.
   */
  async retry(companyId: string, id: string): Promise<DeliveryDto> {
    const delivery = await this.deliveries.findById(companyId, id);
    if (!delivery) throw AppException.notFound('Delivery');
    if (!(await this.deliveries.retry(companyId, id))) {
      throw new AppException(HttpStatus.CONFLICT, ErrorCode.DeliveryNotRetryable, `Only failed deliveries can be retried; this one is ${delivery.state}`);
    }
    await this.outbox.wake(companyId, delivery.channelId, delivery.purpose);
    return this.get(companyId, id);
  }
}
