import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels/channels.module';
import { ContactsModule } from '../contacts/contacts.module';
import { DeliveryModule } from './delivery.module';
import { DeliveryProcessor } from './delivery.processor';
import { DeliverySweeper } from './delivery.sweeper';
import { PageLimiter } from './page-limiter';
import { SendApiClient } from './send-api.client';
import { DeliveriesService } from './deliveries.service';

/** The sending side of the engine: paced per Page, in three lanes, retried and settled. */
@Module({
  imports: [DeliveryModule, ChannelsModule, ContactsModule],
  providers: [DeliveryProcessor, DeliverySweeper, PageLimiter, SendApiClient, DeliveriesService],
  exports: [DeliveriesService],
})
export class DeliverySendingModule {}
