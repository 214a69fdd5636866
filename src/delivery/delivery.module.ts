import { Module, type OnModuleInit } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { MetricsService } from '../common/metrics/metrics.service';
import { Delivery } from './delivery.entity';
import { DeliveryRepository } from './delivery.repository';
import { OutboxService } from './outbox.service';

/**
 * The outbox: what every feature needs to queue a message in its own transaction. The sending
 * side (workers, sweeper, Graph client) lives in DeliverySendingModule, which needs channels.
 */
@Module({
  imports: [TypeOrmModule.forFeature([Delivery])],
  providers: [DeliveryRepository, OutboxService],
  exports: [DeliveryRepository, OutboxService],
})
export class DeliveryModule implements OnModuleInit {
  constructor(
    private readonly deliveries: DeliveryRepository,
    private readonly metrics: MetricsService,
  ) {}

  onModuleInit(): void {
    this.metrics.addCollector(async () => {
      this.metrics.deliveryQueue.reset();
      for (const { lane, pageId, count } of await this.deliveries.depth()) this.metrics.deliveryQueue.set({ lane, page: pageId }, count);
    });
  }
}
