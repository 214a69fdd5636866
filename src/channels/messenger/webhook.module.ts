import { Module } from '@nestjs/common';
import { ChannelsModule } from '../channels.module';
import { WebhookController } from './webhook.controller';

/** Meta's webhook, outside /v1 and only where the role serves HTTP. */
@Module({
  imports: [ChannelsModule],
  controllers: [WebhookController],
})
export class MessengerWebhookModule {}
